"""The prompt-prefix store: longest shared prefix, LRU eviction within a byte bound."""

from __future__ import annotations

from agent.lm.prefix import PrefixStates, common_prefix


def test_common_prefix_counts_leading_equal_tokens():
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([5], [6]) == 0


def test_states_are_evicted_least_recently_used_first_within_the_bound():
    store = PrefixStates(capacity_bytes=10)
    assert store.put((1,), b"aaaa") and store.put((2,), b"bbbb")
    assert store.get((1,)) == b"aaaa"  # (1,) is now the most recently used
    assert store.put((3,), b"cccc")  # 12 bytes > 10: (2,) goes
    assert store.get((2,)) is None and store.get((1,)) == b"aaaa" and store.get((3,)) == b"cccc"
    assert store.bytes == 8 <= store.capacity_bytes
    assert (store.hits, store.misses) == (3, 1)


def test_a_state_larger_than_the_bound_is_not_kept():
    store = PrefixStates(capacity_bytes=4)
    assert not store.put((1,), b"too large")
    assert len(store) == 0 and store.bytes == 0


def test_replacing_a_key_counts_its_bytes_once():
    store = PrefixStates(capacity_bytes=100)
    store.put((1, 2), b"x" * 30)
    store.put((1, 2), b"y" * 40)
    assert len(store) == 1 and store.bytes == 40
