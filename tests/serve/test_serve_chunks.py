"""Splitting a batch over scoring processes by text size, not by count."""

from pathlib import Path
from typing import Any

from wikiscore.scoring.service import balanced_chunks


def test_one_huge_record_gets_a_worker_to_itself() -> None:
    sizes = [10, 10, 1000, 10, 10, 10]
    chunks = balanced_chunks(sizes, 2, weight=float)
    assert sorted(map(sorted, chunks)) == [[0, 1, 3, 4, 5], [2]]


def test_every_index_once_and_in_order_within_a_chunk() -> None:
    sizes = [5, 3, 8, 1, 9, 2, 7, 4, 6, 0]
    chunks = balanced_chunks(sizes, 3, weight=float)
    flat = [i for chunk in chunks for i in chunk]
    assert sorted(flat) == list(range(len(sizes)))
    assert all(chunk == sorted(chunk) for chunk in chunks)
    loads = [sum(sizes[i] for i in chunk) for chunk in chunks]
    assert max(loads) - min(loads) <= max(sizes)


def test_fewer_items_than_parts_gives_no_empty_chunk() -> None:
    assert balanced_chunks([1], 4, weight=float) == [[0]]
    assert balanced_chunks([], 2, weight=float) == []


def test_worker_processes_score_a_batch_exactly_as_threads_do(
    service: Any, testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    """The same batch scored in two worker processes (split by size) and in threads: same
    probabilities, same order — no skew between the two ways of serving."""
    from fastapi.testclient import TestClient
    from serve_helpers import make_edits, new_app

    rev_ids = make_edits(local_wiki, 24, ip="198.51.100.24")
    url = "/v3/scores/testwiki/?models=editrisk&revids=" + "|".join(map(str, rev_ids))
    by_threads = service.get(url).json()["testwiki"]["scores"]
    with TestClient(new_app(testwiki_registry, tmp_path, processes=2)) as in_processes:
        by_processes = in_processes.get(url).json()["testwiki"]["scores"]
    for rev_id in rev_ids:
        expected = by_threads[str(rev_id)]["editrisk"]["score"]["probability"]["true"]
        got = by_processes[str(rev_id)]["editrisk"]["score"]["probability"]["true"]
        assert got == expected, rev_id
