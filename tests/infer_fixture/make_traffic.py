"""Writes traffic/ for the gen infer fixture (deterministic; run once, output committed)."""

import json
from pathlib import Path

HERE = Path(__file__).parent / "traffic"


def web(i: int) -> dict:
    doc = {
        "webserver_mode": i % 3,
        "forward_80_to_443": i % 2 == 0,
        "isdefault_username_attribute": i % 4 != 0,
        "max_users_per_team": 50 + i,
        "driver_name": ["postgres", "mysql"][i % 2],
        "schema_version": ["5.6.0", "5.7.1", "6.0.0"][i % 3],
        "max_file_size": 1048576 * (i + 1),
        "site_name": f"Team site number {i}",
        "last_restart": 1700000000000 + i * 3600000,
        "plugin_ids": ["com.acme.jira", "com.acme.zoom"][: i % 3],
        "isdefault_site_url": i % 2 == 1,
    }
    if i % 2:
        doc["enable_commands"] = True
        doc["proxy_timeout"] = 30 + i
    return doc


def main() -> None:
    HERE.mkdir(exist_ok=True)
    lines = [json.dumps({"payload": "cfg_web", "properties": web(i)}) for i in range(12)]
    lines.insert(3, '{"payload": "cfg_web", "properties": {"webserver_mode": 1,')  # malformed
    lines.insert(6, "[1, 2, 3]")  # not an object
    lines.insert(8, "")  # blank: no document
    lines.insert(9, json.dumps({"some_key": 1}))  # bare object, no payload name
    (HERE / "envelopes.ndjson").write_text("\n".join(lines) + "\n")

    seg = []
    for i in range(8):
        seg.append({"type": "track", "event": "cfg_log", "userId": "srv",
                    "properties": {"enable_console": i % 2 == 0, "console_level": ["DEBUG", "INFO", "ERROR"][i % 3]}})
        seg.append({"type": "track", "event": "plugin_enabled", "anonymousId": "x",
                    "properties": {"plugin_id": ["jira", "zoom"][i % 2], "enabled_at": 1700000000000 + i}})
    seg.insert(5, {"type": "identify", "userId": "srv", "traits": {"email": "a@b.c"}})
    (HERE / "segment.ndjson").write_text("\n".join(json.dumps(d) for d in seg) + "\n")

    bare = [{"enable_console": True, "console_level": "INFO"} for _ in range(4)]
    (HERE / "cfg_log.ndjson").write_text("\n".join(json.dumps(d) for d in bare) + "\n")

    cache = [{"payload": "cfg_cache", "properties": {"size_mb": 64 * (i + 1), "policy": ["lru", "lfu"][i % 2]}} for i in range(6)]
    (HERE / "cache.json").write_text(json.dumps(cache, indent=1) + "\n")


if __name__ == "__main__":
    main()
