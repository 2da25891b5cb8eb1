"""template.yaml: linters, the SAM transform, and the conventions the code relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Template(ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources
SAM = Path(os.environ.get("SAM_CLI") or ROOT / ".venv-sam" / "bin" / "sam")
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-3"}

ROUTES = {
    "CatalogFunction": [
        "GET /v1/settings",
        "PATCH /v1/settings",
        "GET /v1/service-categories",
        "POST /v1/service-categories",
        "GET /v1/service-categories/{id}",
        "PATCH /v1/service-categories/{id}",
        "DELETE /v1/service-categories/{id}",
        "GET /v1/services",
        "POST /v1/services",
        "GET /v1/services/{id}",
        "PATCH /v1/services/{id}",
        "DELETE /v1/services/{id}",
        "GET /v1/calendars",
        "POST /v1/calendars",
        "GET /v1/calendars/{id}",
        "PATCH /v1/calendars/{id}",
        "DELETE /v1/calendars/{id}",
        "GET /v1/api-keys",
        "POST /v1/api-keys",
        "DELETE /v1/api-keys/{id}",
        "ANY /{proxy+}",
    ],
    "SlotsFunction": ["GET /v1/slots", "GET /v1/slots/first"],
    "LocksFunction": ["POST /v1/locks", "GET /v1/locks/{lock_code}", "DELETE /v1/locks/{lock_code}"],
    "AppointmentsFunction": [
        "GET /v1/appointments",
        "POST /v1/appointments",
        "GET /v1/appointments/{id}",
        "POST /v1/appointments/{id}/status",
        "POST /v1/appointments/{id}/reschedule",
        "GET /v1/customers",
        "POST /v1/customers",
        "GET /v1/customers/{id}",
        "PATCH /v1/customers/{id}",
    ],
    "UsersFunction": [
        "GET /v1/users",
        "POST /v1/users",
        "GET /v1/users/{id}",
        "PATCH /v1/users/{id}",
        "DELETE /v1/users/{id}",
    ],
}
# Least privilege: (CRUD tables, read-only tables) per function.
POLICIES = {
    "CatalogFunction": ({"CatalogTable"}, {"BookingsTable"}),
    "SlotsFunction": (set(), {"CatalogTable", "BookingsTable"}),
    "LocksFunction": ({"BookingsTable"}, {"CatalogTable"}),
    "AppointmentsFunction": ({"CatalogTable", "BookingsTable", "IdempotencyTable"}, set()),
    "UsersFunction": ({"CatalogTable"}, set()),
}


# Only the users function talks to Cognito, with exactly the admin calls creneau/cognito.py makes.
COGNITO_ACTIONS = {
    "UsersFunction": {
        f"cognito-idp:{action}"
        for action in (
            "AdminCreateUser",
            "AdminAddUserToGroup",
            "AdminRemoveUserFromGroup",
            "AdminUpdateUserAttributes",
            "AdminDisableUser",
            "AdminEnableUser",
            "AdminGetUser",
            "AdminDeleteUser",
        )
    }
}


def _functions() -> dict[str, dict]:
    return {k: r["Properties"] for k, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


def test_cfn_lint():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run([cfn_lint, "template.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not SAM.exists(), reason="SAM CLI not installed (make test installs it in .venv-sam)")
def test_sam_validate_lint():
    cmd = [SAM, "validate", "--lint", "--region", "eu-west-3", "--template-file", "template.yaml"]
    done = subprocess.run(cmd, cwd=ROOT, env=SAM_ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# Offline, as `sam validate` does it: local code URIs become S3 placeholders, no managed policy lookup.
TRANSLATE = textwrap.dedent(
    """
    import json, sys
    from samcli.yamlhelper import yaml_parse
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            return {}

    template = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"
    json.dump(transform(template, {}, NoManagedPolicies()), sys.stdout)
    """
)


@pytest.fixture(scope="module")
def transformed() -> dict:
    python = SAM.parent / "python"
    if not python.exists():
        pytest.skip("no Python beside the SAM CLI to run its translator")
    done = subprocess.run(
        [python, "-c", TRANSLATE, "template.yaml"], cwd=ROOT, env=SAM_ENV, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sam_transform_routes_each_path_to_its_function(transformed):
    resources = transformed["Resources"]
    assert sorted(k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function") == sorted(ROUTES)
    paths = resources["HttpApi"]["Properties"]["Body"]["paths"]
    found = {}
    for path, methods in paths.items():
        for method, operation in methods.items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["payloadFormatVersion"] == "2.0"
            found[f"{verb} {path}"] = integration["uri"]["Fn::Sub"].split("${")[-1].split("}")[0]
    # Every route invokes the function's `live` alias (a published, SnapStart version), never $LATEST.
    assert found == {route: f"{fn}Aliaslive" for fn, routes in ROUTES.items() for route in routes}
    for function in ROUTES:
        alias = resources[f"{function}Aliaslive"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert resources[version]["Type"] == "AWS::Lambda::Version"
        assert resources[version]["Properties"]["FunctionName"] == {"Ref": function}
        assert resources[function]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        permissions = [
            r["Properties"]["FunctionName"]
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::Permission"
            and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
        ]
        assert {"Ref": f"{function}Aliaslive"} in permissions
        assert {"Ref": function} not in permissions
    stage = resources["HttpApiApiGatewayDefaultStage"]["Properties"]["DefaultRouteSettings"]
    assert stage == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }


def test_every_route_exists_with_its_function():
    declared = {fn: sorted(r.route_key for r in TEMPLATE.routes() if r.function == fn) for fn in _functions()}
    assert declared == {fn: sorted(routes) for fn, routes in ROUTES.items()}


def test_one_function_per_folder():
    folders = sorted(
        p.name for p in (ROOT / "functions").iterdir() if p.is_dir() and not p.name.startswith("_")
    )
    code_uris = [props["CodeUri"].rstrip("/") for props in _functions().values()]
    assert sorted(code_uris) == [f"functions/{name}" for name in folders]


def test_function_globals_and_environment():
    glob = TEMPLATE.doc["Globals"]["Function"]
    assert (glob["Runtime"], glob["Architectures"], glob["Handler"]) == (
        "python3.12",
        ["arm64"],
        "app.lambda_handler",
    )
    assert (glob["Timeout"], glob["MemorySize"], glob["Layers"]) == (10, 512, [{"Ref": "SharedLayer"}])
    assert glob["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "creneau",
        "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
        "CATALOG_TABLE": {"Ref": "CatalogTable"},
        "BOOKINGS_TABLE": {"Ref": "BookingsTable"},
        "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
        "MANAGE_TOKEN_SECRET": {"Fn::Sub": "{{resolve:secretsmanager:${ManageTokenSecret}:SecretString}}"},
        "COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
        "COGNITO_CLIENT_ID": {"Ref": "BackOfficeClient"},
        "COGNITO_ISSUER": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
    }
    assert (glob["AutoPublishAlias"], glob["SnapStart"]) == ("live", {"ApplyOn": "PublishedVersions"})
    layer = RESOURCES["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion" and layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"] == "layers/shared/python"
    makefile = (ROOT / "layers" / "shared" / "python" / "Makefile").read_text()
    assert "build-SharedLayer:" in makefile and "--invalidation-mode unchecked-hash" in makefile


def test_the_manage_token_secret_is_generated_and_kept():
    secret = RESOURCES["ManageTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and "SecretStringTemplate" not in generated


def test_the_local_stack_generates_one_secret_per_stack_for_every_function():
    env = {name: spec.env["MANAGE_TOKEN_SECRET"] for name, spec in TEMPLATE.functions().items()}
    assert len(set(env.values())) == 1 and len(next(iter(env.values()))) >= 32
    assert TEMPLATE.global_env()["MANAGE_TOKEN_SECRET"] in env.values()
    another = Template(ROOT / "template.yaml").global_env()["MANAGE_TOKEN_SECRET"]
    assert another not in env.values(), "each stack draws its own"


def test_least_privilege():
    for name, props in _functions().items():
        crud, read = set(), set()
        cognito = set()
        for policy in props["Policies"]:
            ((kind, args),) = policy.items()
            if kind == "Statement":  # inline statements: Cognito's admin API on the pool only
                for statement in args:
                    assert statement["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]}, name
                    cognito |= set(statement["Action"])
                continue
            {"DynamoDBCrudPolicy": crud, "DynamoDBReadPolicy": read}[kind].add(args["TableName"]["Ref"])
        assert (crud, read) == POLICIES[name], name
        assert cognito == COGNITO_ACTIONS.get(name, set()), name


def test_tables():
    tables = {k: r for k, r in RESOURCES.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert set(tables) == {"CatalogTable", "BookingsTable", "IdempotencyTable"}
    for name, resource in tables.items():
        props = resource["Properties"]
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain", name
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}, name
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert props["SSESpecification"] == {"SSEEnabled": True}, name
    assert RESOURCES["IdempotencyTable"]["Properties"]["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}
    ]
    for name in ("CatalogTable", "BookingsTable"):
        props = RESOURCES[name]["Properties"]
        assert props["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        (gsi,) = props["GlobalSecondaryIndexes"]
        assert gsi["IndexName"] == "gsi1" and gsi["Projection"] == {"ProjectionType": "ALL"}
        assert [k["AttributeName"] for k in gsi["KeySchema"]] == ["gsi1pk", "gsi1sk"]


def test_api_cors_and_outputs():
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    assert {"X-Api-Key", "Authorization", "Idempotency-Key", "Content-Type"} <= set(cors["AllowHeaders"])
    assert set(TEMPLATE.doc["Outputs"]) == {
        "ApiUrl",
        "CatalogTableName",
        "BookingsTableName",
        "IdempotencyTableName",
        "WebUrl",
        "AgendaUrl",
        "WidgetScriptUrl",
        "WebBucketName",
        "UserPoolId",
        "UserPoolClientId",
        "UserPoolIssuer",
        "CognitoRegion",
    }
