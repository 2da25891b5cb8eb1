"""The user pool behind logic/users.py's Directory: Cognito's admin API (boto3 cognito-idp).

Deployed, Cognito mails the invitation with a temporary password (the pool's InviteMessageTemplate).
The local stack sends no mail: when OUTBOX_DIR is set, the temporary password is chosen here and the
invitation is written to that folder as an .eml file instead, in the same words.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
import uuid
from email.message import EmailMessage
from pathlib import Path

from creneau.errors import UserExists, ValidationFailed

INVITATION_SUBJECT = "Your Creneau back-office account"
INVITATION_TEXT = (
    "Hello {name},\n\n"
    "An account was created for you on the Creneau back office.\n"
    "Your username is {username} and your temporary password is {password}\n"
    "Sign in to choose your own password.\n"
)
INVITATION_FROM = "Creneau <no-reply@creneau.invalid>"
_SYMBOLS = "!#$%&*+-=?@^_"


def temporary_password(length: int = 20) -> str:
    """Random, and within any policy the template may set (upper, lower, digit and symbol)."""
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    rest = [secrets.choice(alphabet) for _ in range(length - 4)]
    required = [secrets.choice(chars) for chars in (string.ascii_uppercase, string.ascii_lowercase)]
    required += [secrets.choice(string.digits), secrets.choice(_SYMBOLS)]
    mixed = rest + required
    secrets.SystemRandom().shuffle(mixed)
    return "".join(mixed)


class Outbox:
    """A folder where every email the local stack would send is written as an .eml file."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def invitation(self, email: str, name: str, password: str) -> Path:
        message = EmailMessage()
        message["From"] = INVITATION_FROM
        message["To"] = email
        message["Subject"] = INVITATION_SUBJECT
        message["X-Creneau-Kind"] = "invitation"
        message.set_content(INVITATION_TEXT.format(name=name, username=email, password=password))
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"invitation-{uuid.uuid4().hex}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, path)  # a reader never sees half a message
        return path


class CognitoDirectory:
    def __init__(self, pool_id: str, client, outbox: Outbox | None = None) -> None:
        self.pool_id, self.client, self.outbox = pool_id, client, outbox

    def create(self, email: str, name: str, tenant_id: str, role: str) -> str:
        attributes = {"email": email, "email_verified": "true", "name": name, "custom:tenant_id": tenant_id}
        request = {
            "UserPoolId": self.pool_id,
            "Username": email,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
            "DesiredDeliveryMediums": ["EMAIL"],
        }
        password = None
        if self.outbox is not None:
            password = temporary_password()
            request |= {"TemporaryPassword": password, "MessageAction": "SUPPRESS"}
        try:
            created = self.client.admin_create_user(**request)["User"]
        except self.client.exceptions.UsernameExistsException as error:
            raise UserExists(f"{email} already has an account") from error
        except self.client.exceptions.InvalidParameterException as error:
            # Cognito is stricter than a plain email check (e.g. some characters in the address).
            message = error.response["Error"].get("Message", "")
            field = "email" if "sername" in message or "email" in message else "name"
            raise ValidationFailed.field(
                field, f"the sign-in service refused this {field}: {message}"
            ) from error
        user_id = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
        try:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=user_id, GroupName=role)
        except Exception:
            self.delete(user_id)
            raise
        if self.outbox is not None:
            self.outbox.invitation(email, name, password)
        return user_id

    def set_role(self, user_id: str, old: str, new: str) -> None:
        # Added before removed: the user is never left without a group.
        self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=user_id, GroupName=new)
        self.client.admin_remove_user_from_group(UserPoolId=self.pool_id, Username=user_id, GroupName=old)

    def set_name(self, user_id: str, name: str) -> None:
        self.client.admin_update_user_attributes(
            UserPoolId=self.pool_id, Username=user_id, UserAttributes=[{"Name": "name", "Value": name}]
        )

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        change = self.client.admin_enable_user if enabled else self.client.admin_disable_user
        change(UserPoolId=self.pool_id, Username=user_id)

    def has_signed_in(self, user_id: str) -> bool:
        try:
            user = self.client.admin_get_user(UserPoolId=self.pool_id, Username=user_id)
        except self.client.exceptions.UserNotFoundException:
            return False
        return user["UserStatus"] != "FORCE_CHANGE_PASSWORD"

    def delete(self, user_id: str) -> None:
        with contextlib.suppress(self.client.exceptions.UserNotFoundException):
            self.client.admin_delete_user(UserPoolId=self.pool_id, Username=user_id)
