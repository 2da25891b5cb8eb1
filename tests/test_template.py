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
    "SlotsFunction": ["GET /v1/slots", "GET /v1/slots/first", "GET /v1/slots/explain"],
    "LocksFunction": ["POST /v1/locks", "GET /v1/locks/{lock_code}", "DELETE /v1/locks/{lock_code}"],
    "AppointmentsFunction": [
        "GET /v1/appointments",
        "POST /v1/appointments",
        "GET /v1/appointments/{id}",
        "GET /v1/appointments/{id}/ics",
        "POST /v1/appointments/{id}/status",
        "POST /v1/appointments/{id}/reschedule",
        "POST /v1/appointments/{id}/seats",
        "GET /v1/sessions",
        "GET /v1/sessions/{id}",
        "GET /v1/customers",
        "POST /v1/customers",
        "GET /v1/customers/{id}",
        "PATCH /v1/customers/{id}",
    ],
    "SyncFunction": [
        "POST /v1/calendars/{id}/connections",
        "GET /v1/calendars/{id}/connections",
        "GET /v1/calendars/{id}/connections/{cid}",
        "PATCH /v1/calendars/{id}/connections/{cid}",
        "DELETE /v1/calendars/{id}/connections/{cid}",
        "POST /v1/calendars/{id}/connections/{cid}/reconnect",
        "POST /v1/calendars/{id}/sync",
        "GET /v1/oauth/{provider}/callback",
    ],
    "WebhooksFunction": [
        "POST /v1/webhooks",
        "GET /v1/webhooks",
        "DELETE /v1/webhooks/{id}",
        "GET /v1/webhooks/{id}/deliveries",
    ],
    "EventsFunction": [],
    "NotificationsFunction": [],
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
    "SyncFunction": ({"CatalogTable", "BookingsTable"}, set()),
    "AppointmentsFunction": ({"CatalogTable", "BookingsTable", "IdempotencyTable"}, set()),
    "EventsFunction": (set(), {"CatalogTable"}),
    "NotificationsFunction": ({"IdempotencyTable"}, {"CatalogTable", "BookingsTable"}),
    "WebhooksFunction": ({"CatalogTable", "IdempotencyTable"}, set()),
    "UsersFunction": ({"CatalogTable"}, set()),
}
# Everything else each function may do, beside its tables: (policy template, its argument) pairs and
# the actions of inline statements with their resources.
OTHER_POLICIES = {
    "SyncFunction": {("KMSEncryptPolicy", "KeyId", "TokensKey"), ("KMSDecryptPolicy", "KeyId", "TokensKey")},
    "EventsFunction": {
        ("SNSPublishMessagePolicy", "TopicName", "EventsTopic"),
        ("SQSSendMessagePolicy", "QueueName", "EventsStreamFailureQueue"),
    },
    "WebhooksFunction": {("SQSSendMessagePolicy", "QueueName", "WebhooksQueue")},
}
STATEMENTS = {
    "SyncFunction": {("kms:GenerateDataKey",)},
    "EventsFunction": {
        ("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule"),
        ("scheduler:ListSchedules",),  # cannot be narrowed to a group (AWS)
        ("iam:PassRole",),
    },
    "NotificationsFunction": {("ses:SendEmail", "ses:SendRawEmail")},
    # Only the users function talks to Cognito, with exactly the admin calls creneau/cognito.py makes.
    "UsersFunction": {
        tuple(
            sorted(
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
            )
        )
    },
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
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    # The stream and the queues invoke the published (snapshotted) versions too.
    readers = {m["FunctionName"]["Ref"] for m in mappings}
    assert readers == {f"{fn}FunctionAliaslive" for fn in ("Events", "Notifications", "Webhooks", "Sync")}
    assert all(m["FunctionName"]["Ref"].endswith("Aliaslive") for m in mappings)
    for function, routes in ROUTES.items():
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
        assert ({"Ref": f"{function}Aliaslive"} in permissions) == bool(routes), function
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
        "POWERTOOLS_METRICS_NAMESPACE": "Creneau",
        "CATALOG_TABLE": {"Ref": "CatalogTable"},
        "BOOKINGS_TABLE": {"Ref": "BookingsTable"},
        "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
        "MANAGE_TOKEN_SECRET": {"Fn::Sub": "{{resolve:secretsmanager:${ManageTokenSecret}:SecretString}}"},
        "DEFAULT_EMAIL_FROM": {"Ref": "SenderAddress"},
        "COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
        "COGNITO_CLIENT_ID": {"Ref": "BackOfficeClient"},
        "COGNITO_ISSUER": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
    }
    assert (glob["AutoPublishAlias"], glob["SnapStart"]) == ("live", {"ApplyOn": "PublishedVersions"})
    assert glob["Tracing"] == "Active"  # X-Ray, with Powertools' Tracer in every handler
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
        crud, read, other, statements = set(), set(), set(), set()
        for policy in props["Policies"]:
            ((kind, args),) = policy.items()
            if kind in ("DynamoDBCrudPolicy", "DynamoDBReadPolicy"):
                {"DynamoDBCrudPolicy": crud, "DynamoDBReadPolicy": read}[kind].add(args["TableName"]["Ref"])
            elif kind == "Statement":
                for statement in args:
                    assert statement["Effect"] == "Allow"
                    actions = statement["Action"]
                    statements.add(tuple(sorted([actions] if isinstance(actions, str) else actions)))
            else:
                ((argument, value),) = args.items()
                other.add((kind, argument, value["Fn::GetAtt"][0] if "Fn::GetAtt" in value else value["Ref"]))
        assert (crud, read) == POLICIES[name], name
        assert other == OTHER_POLICIES.get(name, set()), name
        assert statements == STATEMENTS.get(name, set()), name


def test_scoped_statements():
    events = {tuple(sorted(_list(s["Action"]))): s["Resource"] for s in _statements("EventsFunction")}
    schedules = events[("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule")]
    assert "schedule/${ReminderScheduleGroup}/*" in schedules["Fn::Sub"]
    assert events[("iam:PassRole",)] == {"Fn::GetAtt": ["ReminderSchedulerRole", "Arn"]}
    (ses,) = _statements("NotificationsFunction")
    assert all(
        ":identity/*" in r["Fn::Sub"] or ":configuration-set/*" in r["Fn::Sub"] for r in ses["Resource"]
    )
    role = RESOURCES["ReminderSchedulerRole"]["Properties"]
    (send,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert send["Action"] == "sqs:SendMessage"
    assert send["Resource"] == {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"
    }


def _list(value) -> list:
    return [value] if isinstance(value, str) else value


def _statements(function: str) -> list[dict]:
    props = _functions()[function]
    return [s for p in props["Policies"] if "Statement" in p for s in p["Statement"]]


def test_change_events_flow_through_one_stream_one_topic_and_a_queue_per_reader():
    stream = RESOURCES["BookingsTable"]["Properties"]["StreamSpecification"]
    assert stream == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    (source,) = _functions()["EventsFunction"]["Events"].values()
    props = source["Properties"]
    assert source["Type"] == "DynamoDB" and props["Stream"] == {"Fn::GetAtt": ["BookingsTable", "StreamArn"]}
    assert (
        props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and props["BisectBatchOnFunctionError"]
    )
    (pattern,) = props["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "APPT#"}]}}}}
    readers = {
        "NotificationsFunction": "NotificationsQueue",
        "WebhooksFunction": "WebhooksQueue",
        "SyncFunction": "SyncQueue",
    }
    subscribed = {
        r["Properties"]["Endpoint"]["Fn::GetAtt"][0]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::SNS::Subscription"
        and r["Properties"]["TopicArn"] == {"Ref": "EventsTopic"}
        and r["Properties"]["RawMessageDelivery"] is True
    }
    assert subscribed == set(readers.values())
    for function, queue in readers.items():
        sqs = [e["Properties"] for e in _functions()[function]["Events"].values() if e["Type"] == "SQS"]
        assert sqs == [{**sqs[0], "Queue": {"Fn::GetAtt": [queue, "Arn"]}}], function
        assert sqs[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        redrive = RESOURCES[queue]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{queue[:-5]}DeadLetterQueue", "Arn"]}
        assert redrive["maxReceiveCount"] >= 3
        timeout = _functions()[function]["Timeout"]
        assert RESOURCES[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout, queue
    (policy,) = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "EventsTopic"}}}
    assert RESOURCES["ReminderScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"
    assert RESOURCES["SenderIdentity"]["Properties"] == {"EmailIdentity": {"Ref": "SenderAddress"}}


def test_provider_libraries_only_in_the_functions_that_use_them():
    def requirements(function: str) -> set[str]:
        path = ROOT / "functions" / function / "requirements.txt"
        lines = path.read_text().splitlines() if path.exists() else []
        return {line.split(">")[0].split("=")[0].strip() for line in lines if line.strip()}

    layer = (ROOT / "layers/shared/python/requirements.txt").read_text()
    assert "icalendar" not in layer and "httpx" not in layer
    assert requirements("notifications") == {"icalendar"} and requirements("appointments") == {"icalendar"}
    assert requirements("webhooks") == {"httpx"}
    assert requirements("events") == requirements("catalog") == set()


def test_cognito_only_on_the_pool():
    (statement,) = _statements("UsersFunction")
    assert statement["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


def test_sync_queue_schedule_and_tokens_key():
    sync = RESOURCES["SyncFunction"]["Properties"]
    events = {e["Type"]: e["Properties"] for e in sync["Events"].values() if e["Type"] != "HttpApi"}
    assert events["SQS"]["Queue"] == {"Fn::GetAtt": ["SyncQueue", "Arn"]}
    assert events["SQS"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert events["Schedule"]["Schedule"] == "rate(5 minutes)"
    subscription = RESOURCES["SyncQueueSubscription"]["Properties"]
    assert subscription["TopicArn"] == {"Ref": "EventsTopic"} and subscription["RawMessageDelivery"] is True
    redrive = RESOURCES["SyncQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]}
    assert RESOURCES["TokensKey"]["Type"] == "AWS::KMS::Key"
    assert sync["Environment"]["Variables"]["TOKENS_KEY_ID"] == {"Ref": "TokensKeyAlias"}
    for name in ("GOOGLE_CLIENT_ID", "GOOGLE_API_BASE", "MS_AUTHORITY", "GRAPH_API_BASE", "MS_CLIENT_ID"):
        assert name in sync["Environment"]["Variables"], name


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
        "EventsTopicArn",
        "NotificationsDeadLetterQueueUrl",
        "WebhooksDeadLetterQueueUrl",
        "UserPoolId",
        "UserPoolClientId",
        "UserPoolIssuer",
        "CognitoRegion",
        "AlarmTopicArn",
    }


# ---- observability -----------------------------------------------------------------------------------


def _retained_log_group(ref: dict) -> dict:
    ((kind, logical_id),) = ref.items()
    if kind == "Fn::GetAtt":
        logical_id = logical_id[0]
    group = RESOURCES[logical_id]
    assert group["Type"] == "AWS::Logs::LogGroup", logical_id
    return group["Properties"]


def test_every_function_logs_to_its_own_group_kept_log_retention_days():
    retention = TEMPLATE.doc["Parameters"]["LogRetentionDays"]
    assert (retention["Type"], retention["Default"]) == ("Number", 30)
    groups = set()
    for name, props in _functions().items():
        ref = props["LoggingConfig"]["LogGroup"]
        assert _retained_log_group(ref)["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        groups.add(ref["Ref"])
    assert len(groups) == len(_functions())  # one group per function


def test_the_api_writes_access_logs_with_the_request_id():
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert _retained_log_group(settings["DestinationArn"])["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    line = json.loads(settings["Format"])  # one JSON object per request
    assert line["requestId"] == "$context.requestId" and line["status"] == "$context.status"


def _alarm_metrics(alarm: dict) -> list[dict]:
    return [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]


def test_alarms_on_the_5xx_rate_and_on_throttles_notify_the_alarm_topic():
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    alarms = {k: r["Properties"] for k, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {"Api5xxRateAlarm", "ThrottlesAlarm"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    rate = alarms["Api5xxRateAlarm"]
    (expression,) = [m for m in rate["Metrics"] if m.get("ReturnData")]
    assert "100 * errors / requests" in expression["Expression"]
    assert rate["Threshold"] == {"Ref": "Api5xxRatePercent"}
    api = [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    assert sorted((m["Namespace"], m["MetricName"], str(m["Dimensions"])) for m in _alarm_metrics(rate)) == [
        ("AWS/ApiGateway", "5xx", str(api)),
        ("AWS/ApiGateway", "Count", str(api)),
    ]
    throttles = alarms["ThrottlesAlarm"]
    assert (throttles["ComparisonOperator"], throttles["Threshold"]) == ("GreaterThanThreshold", 0)
    watched = {
        m["Dimensions"][0]["Value"]["Ref"]
        for m in _alarm_metrics(throttles)
        if (m["Namespace"], m["MetricName"]) == ("AWS/Lambda", "Throttles")
    }
    assert watched == set(_functions())


def test_the_alarm_email_is_subscribed_only_when_given():
    assert TEMPLATE.doc["Parameters"]["AlarmEmail"]["Default"] == ""
    assert TEMPLATE.doc["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert not TEMPLATE.condition("HasAlarmEmail")  # the default: no subscription (nor locally)
    assert "AlarmEmailSubscription" not in TEMPLATE.unresolved("AWS::SNS::Subscription")
    given = Template(ROOT / "template.yaml", {"AlarmEmail": "ops@example.org"})
    assert "AlarmEmailSubscription" in given.unresolved("AWS::SNS::Subscription")


def test_sam_gives_every_function_active_tracing_and_its_log_group(transformed):
    resources = transformed["Resources"]
    for function in ROUTES:
        props = resources[function]["Properties"]
        assert props["TracingConfig"] == {"Mode": "Active"}, function
        assert props["LoggingConfig"] == {"LogGroup": {"Ref": function.removesuffix("Function") + "LogGroup"}}
    stage = resources["HttpApiApiGatewayDefaultStage"]["Properties"]
    assert stage["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
