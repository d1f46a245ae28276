from app.mail.list_addresses import AddressRole, ListAddress, candidates


def test_plain_list_address():
    assert candidates("Team@Example.ORG") == [ListAddress("team", "example.org", AddressRole.POST)]


def test_role_addresses_come_first_then_the_literal_list():
    readings = candidates("team-request@example.org")
    assert readings[0] == ListAddress("team", "example.org", AddressRole.REQUEST)
    # A list may itself be called team-request; that reading is kept as the fallback.
    assert readings[1] == ListAddress("team-request", "example.org", AddressRole.POST)


def test_every_role_suffix():
    for suffix, role in [
        ("owner", AddressRole.OWNER),
        ("bounces", AddressRole.BOUNCES),
        ("join", AddressRole.JOIN),
        ("leave", AddressRole.LEAVE),
        ("confirm", AddressRole.CONFIRM),
        ("request", AddressRole.REQUEST),
    ]:
        assert candidates(f"dev-{suffix}@example.org")[0].role is role


def test_verp_and_confirm_tokens():
    assert candidates("team-bounces+abc123@example.org") == [
        ListAddress("team", "example.org", AddressRole.BOUNCES, "abc123")
    ]
    assert candidates("team-confirm+tok@example.org")[0].token == "tok"


def test_plus_is_refused_where_no_token_belongs():
    assert candidates("team+x@example.org") == []
    assert candidates("team-owner+x@example.org") == []
    assert candidates("team-bounces+@example.org") == []


def test_internationalised_domain_becomes_a_label():
    assert candidates("liste@bücher.example")[0].domain == "xn--bcher-kva.example"


def test_garbage_is_no_address():
    assert candidates("") == []
    assert candidates("no-at-sign") == []
    assert candidates("@example.org") == []
    assert candidates("team@") == []
