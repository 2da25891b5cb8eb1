"""template.yaml as the local stack sees it: tables, functions, routes, schedules, CORS.

The template is the single source of truth; intrinsics resolve to local values (a resource's local name
is `creneau-<LogicalId>` unless the stack recorded the id the local service gave it in `physical`, a
parameter its Default unless `parameters` overrides it; conditions with Fn::Equals/Not/And/Or).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.lambda_runtime import ACCOUNT_ID, REGION, FunctionSpec, local_name
from devstack.routes import DEFAULT, Route

PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "creneau",
}


# {{resolve:secretsmanager:<secret id>[:SecretString...]}}, a CloudFormation dynamic reference.
_SECRET_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:([^:}]+)[^}]*\}\}")


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short tags (!Ref, !Sub, !GetAtt...) as their long forms."""


def _construct_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load(path: Path) -> dict:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=CfnLoader)


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str  # rate(...) or cron(...)
    input: str | None  # JSON text sent instead of the EventBridge event, as the template's Input


class Template:
    def __init__(self, path: Path | str, parameters: dict[str, str] | None = None) -> None:
        self.path = Path(path).resolve()
        self.doc = load(self.path)
        self.resources: dict[str, dict] = self.doc.get("Resources", {})
        self._secrets: dict[str, str] = {}
        self.bound: dict[str, str] = {}  # local values of resources made at run time (queue URLs, ARNs)
        self.parameters = dict(parameters or {})
        self.physical: dict[str, str] = {}  # logical id -> id a local service gave (a Cognito pool)

    def bind(self, values: dict[str, str]) -> None:
        """Resolve `Ref X` (key "X") and `GetAtt X.Attr` (key "X.Attr") to these values from now on."""
        self.bound.update(values)

    def unresolved(self, kind: str) -> dict[str, dict]:
        """{logical id: properties, intrinsics unresolved} of every resource of a type (to resolve once
        the resources they refer to are bound)."""
        return self._of_type(kind)

    def parameter(self, name: str) -> str | list[str]:
        declared = self.doc.get("Parameters", {}).get(name, {})
        value = str(self.parameters[name] if name in self.parameters else declared["Default"])
        if declared.get("Type") == "CommaDelimitedList":  # a list, as CloudFormation hands it over
            return [part.strip() for part in value.split(",")]
        return value

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.doc.get("Conditions", {})[name]))

    def _of_type(self, kind: str) -> dict[str, dict]:
        """As CloudFormation creates them: a resource whose Condition is false does not exist."""
        return {
            k: r.get("Properties", {})
            for k, r in self.resources.items()
            if r.get("Type") == kind and ("Condition" not in r or self.condition(r["Condition"]))
        }

    def resolve(self, value):
        """Intrinsic functions -> local values; anything else resolves its children."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            params = self.doc.get("Parameters", {})
            if fn == "Ref":
                if arg in self.bound:
                    return self.bound[arg]
                if arg in PSEUDO:
                    return PSEUDO[arg]
                if self.resources.get(arg, {}).get("Type") == "AWS::KMS::Alias":
                    return self.resolve(
                        self.resources[arg]["Properties"]["AliasName"]
                    )  # as in CloudFormation
                return self.parameter(arg) if arg in params else self.physical.get(arg, local_name(arg))
            if fn == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if fn == "Fn::Equals":
                left, right = self.resolve(arg)
                return str(left) == str(right)
            if fn == "Fn::Not":
                return not self.resolve(arg[0])
            if fn == "Fn::And":
                return all(self.resolve(arg))
            if fn == "Fn::Or":
                return any(self.resolve(arg))
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::GetAtt":
                name, attr = arg
                if f"{name}.{attr}" in self.bound:
                    return self.bound[f"{name}.{attr}"]
                return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{local_name(name)}" if attr == "Arn" else name
            if fn == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(text, self.resolve(names))
            if fn == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
            if fn.startswith("Fn::"):
                raise ValueError(f"{fn} is not supported by the local stack")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, text: str, names: dict) -> str:
        def one(m: re.Match) -> str:
            ref = m.group(1)
            if ref.startswith("!"):
                return "${" + ref[1:] + "}"
            if ref in names:
                return str(names[ref])
            if "." in ref:
                return self.resolve({"Fn::GetAtt": ref.split(".", 1)})
            return self.resolve({"Ref": ref})

        return re.sub(r"\$\{([^}]+)\}", one, text)

    # -- what the stack needs ------------------------------------------------------------------------------

    def kms_aliases(self) -> list[str]:
        """The alias names of the template's KMS keys (each alias gets a key of its own locally)."""
        return [self.resolve(p["AliasName"]) for p in self._of_type("AWS::KMS::Alias").values()]

    def of_type(self, kind: str) -> dict[str, dict]:
        """Resolved properties of every resource of one type, by logical id (in template order)."""
        return {k: self.resolve(p) for k, p in self._of_type(kind).items()}

    def tables(self) -> dict[str, dict]:
        return {k: self.resolve(p) for k, p in self._of_type("AWS::DynamoDB::Table").items()}

    def _function_globals(self) -> dict:
        return self.doc.get("Globals", {}).get("Function", {})

    def _variables(self, props: dict) -> dict[str, str]:
        variables = self.resolve(props.get("Environment", {}).get("Variables", {}))
        return {k: self._resolve_secrets(str(v)) for k, v in variables.items()}

    def _resolve_secrets(self, text: str) -> str:
        """Dynamic references to the template's generated secrets: a random value made once per stack
        (this Template), the same for every function, as CloudFormation's GenerateSecretString would."""
        return _SECRET_REFERENCE.sub(lambda m: self._generated_secret(m.group(1)), text)

    def _generated_secret(self, secret_id: str) -> str:
        generated = {
            local_name(name)
            for name, props in self._of_type("AWS::SecretsManager::Secret").items()
            if "GenerateSecretString" in props
        }
        if secret_id not in generated:
            raise ValueError(f"the local stack can only resolve generated secrets, not {secret_id!r}")
        return self._secrets.setdefault(secret_id, secrets.token_urlsafe(48))

    def global_env(self) -> dict[str, str]:
        return self._variables(self._function_globals())

    def functions(self) -> dict[str, FunctionSpec]:
        specs = {}
        for name, props in self._of_type("AWS::Serverless::Function").items():
            merged = {**self._function_globals(), **props}  # the function's own properties win
            memory = int(merged.get("MemorySize", 128))
            env = {
                **self.global_env(),
                **self._variables(props),
                "AWS_LAMBDA_FUNCTION_NAME": local_name(name),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
                **local_observability(),
            }
            specs[name] = FunctionSpec(
                name=name,
                code_dir=str((self.path.parent / merged.get("CodeUri", ".")).resolve()),
                handler=merged.get("Handler", "app.lambda_handler"),
                env=env,
                timeout_s=float(merged.get("Timeout", 3)),
                memory_mb=memory,
            )
        return specs

    def _events(self, *types: str):
        for name, props in self._of_type("AWS::Serverless::Function").items():
            for event in props.get("Events", {}).values():
                if event.get("Type") in types:
                    yield name, event.get("Type"), event.get("Properties", {})

    def event_sources(self, kind: str) -> list[tuple[str, dict]]:
        """(function, the event's properties, intrinsics unresolved) of every event of a kind
        (DynamoDB, SQS...): what Lambda's event source mappings would poll."""
        return [(name, props) for name, _, props in self._events(kind)]

    def routes(self) -> list[Route]:
        return [
            Route(p.get("Method", "ANY"), p.get("Path", DEFAULT), name)
            for name, _, p in self._events("HttpApi")
        ]

    def schedules(self) -> list[Schedule]:
        found = []
        for name, kind, p in self._events("Schedule", "ScheduleV2"):
            enabled = p.get("Enabled", True) if kind == "Schedule" else p.get("State", "ENABLED") == "ENABLED"
            if enabled:
                expression = p.get("Schedule") if kind == "Schedule" else p.get("ScheduleExpression")
                found.append(Schedule(name, expression, p.get("Input")))
        return found

    def cors(self) -> dict | None:
        """The HTTP API's CorsConfiguration (the first HttpApi's, or the Globals')."""
        for props in self._of_type("AWS::Serverless::HttpApi").values():
            if "CorsConfiguration" in props:
                return _cors(self.resolve(props["CorsConfiguration"]))
        return _cors(self.doc.get("Globals", {}).get("HttpApi", {}).get("CorsConfiguration"))


def _cors(config) -> dict | None:
    if config is True:  # SAM's shorthand: allow everything
        return {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    return config or None


def local_observability() -> dict[str, str]:
    """How the local stack's functions log, count and trace, for a terminal rather than CloudWatch:
    warnings only and no EMF lines, unless CRENEAU_LOG_LEVEL says INFO or DEBUG; no X-Ray daemon
    here (the template's Tracing). The stack's own process takes them too, before its workers load
    the shared layer (its Logger reads its level once, at import)."""
    level = os.environ.get("CRENEAU_LOG_LEVEL", "WARNING").upper()
    return {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": level,
        "POWERTOOLS_METRICS_DISABLED": "false" if level in ("DEBUG", "INFO") else "true",
    }
