"""Name derivation (generator.naming): the wire-name conventions of DESIGN.md, and the
overrides a spec may declare (checked end to end through the resolver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.naming import field_wire_key, pascal_case, payload_wire_name, snake_case
from generator.pipeline import check_spec

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("SiteURL", "site_url"),
        ("EnableAPITeamDeletion", "enable_api_team_deletion"),
        ("TLSCertFile", "tls_cert_file"),
        ("AmazonS3SSL", "amazon_s3_ssl"),
        ("GlobalRelaySettings.CustomerType", "global_relay_settings_customer_type"),
        ("EnableCommands", "enable_commands"),
        ("MaxUsersPerTeam", "max_users_per_team"),
        ("EnableOAuthServiceProvider", "enable_oauth_service_provider"),
        ("SQLSettings", "sql_settings"),
        ("ABC", "abc"),
        ("X509Cert", "x509_cert"),
        ("already_snake", "already_snake"),
        ("Mixed_Case__Name", "mixed_case_name"),
        ("a", "a"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


# Names a maintainer writes and the key they expect (issue 10): listed acronyms stay
# whole, a number is its own word unless it follows a single capital.
@pytest.mark.parametrize(
    ("name", "separate", "attached"),
    [
        ("IPv6Enabled", "ipv6_enabled", "ipv6_enabled"),
        ("OAuth2Token", "oauth2_token", "oauth2_token"),
        ("JSONAPIVersion", "json_api_version", "json_api_version"),
        ("HTTPServer", "http_server", "http_server"),
        ("Forward80To443", "forward_80_to_443", "forward80_to443"),
        ("OSVersion", "os_version", "os_version"),
        ("AmazonS3SSE", "amazon_s3_sse", "amazon_s3_sse"),
        ("AmazonS3SignV2", "amazon_s3_sign_v2", "amazon_s3_sign_v2"),
        ("IDPName", "idp_name", "idp_name"),  # "ID" is listed, but "IDP" is one word
        ("UserID", "user_id", "user_id"),
        ("Office365", "office_365", "office365"),
        ("LoginsLast24Hours", "logins_last_24_hours", "logins_last24_hours"),
        ("HTTPSPort", "https_port", "https_port"),
    ],
)
def test_acronyms_and_numbers(name: str, separate: str, attached: str) -> None:
    assert snake_case(name) == separate
    assert snake_case(name, numbers="attached") == attached


def test_spec_acronyms_extend_the_defaults() -> None:
    from generator.naming import default_acronyms

    assert snake_case("GfxAPIv3Ready", default_acronyms()) == "gfx_ap_iv_3_ready"
    assert snake_case("GfxAPIv3Ready", (*default_acronyms(), "APIv3")) == "gfx_apiv3_ready"


def test_snake_case_output_is_a_safe_wire_name() -> None:
    import re

    for name in ("SiteURL", "A.B.C", "Z9Z9", "Under_Score"):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", snake_case(name)), name


@pytest.mark.parametrize(
    ("group", "prefix", "suffix", "wire"),
    [
        ("ServiceSettings", "config_", "Settings", "config_service"),
        ("SqlSettings", "config_", "Settings", "config_sql"),
        ("LDAPSettings", "config_", "Settings", "config_ldap"),
        ("Settings", "config_", "Settings", "config_settings"),  # never strips to nothing
        ("ServiceSettings", "", "", "service_settings"),
        ("PluginStates", "config_", "Settings", "config_plugin_states"),  # suffix absent
    ],
)
def test_payload_wire_name(group: str, prefix: str, suffix: str, wire: str) -> None:
    assert payload_wire_name(group, prefix, suffix) == wire


def test_field_wire_key_and_is_default_prefix() -> None:
    assert field_wire_key("SiteURL", False, "isdefault_") == "site_url"
    assert field_wire_key("SiteURL", True, "isdefault_") == "isdefault_site_url"
    assert field_wire_key("SiteURL", True, "default_") == "default_site_url"
    assert field_wire_key("SiteURL", True, "") == "site_url"


def test_pascal_case_class_names() -> None:
    assert pascal_case("config_service") == "ConfigService"
    assert pascal_case("login_failed") == "LoginFailed"
    assert pascal_case("cfg_ab_c") == pascal_case("cfg_ab__c")  # why resolve checks model names


def test_conventions_and_overrides_end_to_end() -> None:
    spec, findings = check_spec(CASES / "ok_multi_file" / "spec")
    assert findings == []
    main = spec.payload("cfg_main")  # MainSettings: prefix cfg_, suffix Settings stripped
    assert main.group == "MainSettings" and main.model_name == "CfgMain"
    keys = {(f.name, f.kind.id): f.wire_key for f in main.fields}
    assert keys[("EnableThing", "boolean")] == "enable_thing"
    assert keys[("Flag", "boolean")] == "flag"
    assert keys[("Flag", "setting_is_default")] == "isdefault_flag"  # same name, is-default prefix
    other = spec.payload("cfg_other_custom")  # wire_name overrides the derived cfg_other
    assert [f.wire_key for f in other.fields] == ["site_url_is_default"]  # wire_key overrides
    assert spec.payload("login_failed").type == "event"
