"""Request ids are read straight off the digest (a fast path); they must stay the very ids the general
token spelling gives, so recorded cassettes and determinism hold across versions."""

from __future__ import annotations

from emulator.ids import HEX, IdFactory, _spell


def test_request_ids_are_the_general_tokens() -> None:
    for seed in (0, 7, 2**64 - 1):
        for namespace in ("", "org-abc", "azure:org-x"):
            fast, general = IdFactory(seed, namespace), IdFactory(seed, namespace)
            for _ in range(200):
                rid = fast.request_id()
                assert rid == "req_" + general.token("req_", 32, HEX)
                assert len(rid) == 36 and all(c in HEX for c in rid[4:])


def test_the_spelling_reads_hex_digits_from_the_low_end() -> None:
    value = (0xABC << 200) | 0x0123456789ABCDEF0123456789ABCDEF
    assert _spell(value, "req_", 1, 32, HEX) == format(value & (2**128 - 1), "032x")[::-1]
