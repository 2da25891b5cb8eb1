"""Customers ("fiches") through the appointments function, in-process on moto."""

CUSTOMERS = "/v1/customers"
ONE = "/v1/customers/{id}"


def create(invoke, key, **fields):
    return invoke("appointments", "POST", CUSTOMERS, CUSTOMERS, fields, key=key)


def test_create_read_and_patch_a_customer(invoke, tenant):
    made = create(
        invoke,
        tenant.agent,
        first_name="Léa",
        last_name="Martin",
        email="lea@example.fr",
        extra={"plate": "AB-1"},
    )
    assert made.status == 201
    customer = made.json()
    assert customer["extra"] == {"plate": "AB-1"}
    path = f"{CUSTOMERS}/{customer['id']}"
    assert invoke("appointments", "GET", ONE, path, key=tenant.agent).json() == customer
    patched = invoke("appointments", "PATCH", ONE, path, {"phone": "06 12 34 56 78"}, key=tenant.agent).json()
    assert patched == {**customer, "phone": "06 12 34 56 78"}


def test_one_person_may_have_several_records_found_by_email(invoke, tenant):
    parent = create(invoke, tenant.agent, first_name="Anne", email="Anne@Example.fr").json()
    child = create(invoke, tenant.agent, first_name="Tom", email="anne@example.fr").json()
    create(invoke, tenant.agent, first_name="Other", email="other@example.fr")
    found = invoke(
        "appointments", "GET", CUSTOMERS, CUSTOMERS, key=tenant.agent, query={"email": "anne@example.fr"}
    )
    assert sorted(c["id"] for c in found.json()["items"]) == sorted([parent["id"], child["id"]])


def test_text_search_and_pagination_return_each_record_once(invoke, tenant):
    ids = {
        create(invoke, tenant.agent, first_name=f"Client {i}", last_name="Dupont").json()["id"]
        for i in range(5)
    }
    create(invoke, tenant.agent, first_name="Someone", last_name="Else")
    seen, cursor = [], None
    while True:
        query = {"q": "dupont", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = invoke("appointments", "GET", CUSTOMERS, CUSTOMERS, key=tenant.agent, query=query).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


def test_errors_name_the_problem(invoke, tenant, make_tenant):
    bad = create(invoke, tenant.agent, first_name="X", email="not-an-email")
    assert bad.status == 422 and bad.error["details"][0]["field"] == "email"
    missing = invoke("appointments", "GET", ONE, f"{CUSTOMERS}/nope", key=tenant.agent)
    assert missing.status == 404 and missing.error["code"] == "customer-not-found"
    assert create(invoke, tenant.public, first_name="X").error["code"] == "not-authorized"
    other = make_tenant(name="Other")
    theirs = create(invoke, other.agent, first_name="Theirs").json()
    stolen = invoke("appointments", "GET", ONE, f"{CUSTOMERS}/{theirs['id']}", key=tenant.agent)
    assert stolen.status == 404 and stolen.error["code"] == "customer-not-found"
