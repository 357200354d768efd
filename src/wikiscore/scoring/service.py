"""The scoring service: (wiki, models, revision ids | records | user) → scores, fast and safe.

Owns the request path shared by every front end (HTTP APIs, patrol page, precache worker):

1. resolve the wiki (registry only) and the models it serves (by content language);
2. look every (model version, revision) up in the tiered cache;
3. join identical work already in flight instead of repeating it (single flight);
4. fetch all missing revisions of a wiki in batches of at most 50 ids — concurrent requests
   for the same wiki are coalesced into the same upstream call while the wiki's request slot
   is busy, so "serial requests per wiki" costs little;
5. compute features and predictions in a worker pool (never on the event loop);
6. write the new scores to the cache.

Errors are values per item: a revision that cannot be fetched or scored gets a
:class:`~wikiscore.errors.WikiscoreError`, the rest of the batch is unaffected. Only an unknown
wiki or model fails a whole call. Must not know about HTTP shapes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from wikiscore.errors import InvalidInput, UnknownModel, WikiscoreError
from wikiscore.mediawiki.errors import MediaWikiError, UpstreamTimeout
from wikiscore.scoring import metrics
from wikiscore.scoring.cache import (
    MemoryCache,
    ScoreCache,
    StoreCache,
    TieredCache,
    decode_score,
    encode_score,
    score_key,
)
from wikiscore.scoring.workers import ProcessPool
from wikiscore.store import Store
from wikiscore.store.background import Foreground
from wikiscore.wikis import Wiki, WikiRegistry

if TYPE_CHECKING:
    from wikiscore.mediawiki.client import ClientPool
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.models.registry import ModelSpec
    from wikiscore.records import RevisionRecord
    from wikiscore.scoring.result import EditScore
    from wikiscore.scoring.user import UserScore

MAX_BATCH = 50
MIN_SPLIT = 10
MAX_REV_ID = 2**53  # larger ids cannot be revision ids (and are not exact in JSON numbers)


class ModelUnavailable(WikiscoreError):
    """A registered model whose artifact cannot be loaded (missing file, bad checksum)."""

    error_type = "model_unavailable"


class ScoringFailed(WikiscoreError):
    """An unexpected failure while scoring one item (logged; the batch goes on)."""

    error_type = "scoring_failed"


@dataclass(frozen=True)
class ServedModel:
    """A model as the service offers it on one wiki: registry entry + loaded artifact."""

    spec: ModelSpec
    artifact: ModelArtifact

    @property
    def api_name(self) -> str:
        return self.spec.api_name

    @property
    def version(self) -> str:
        return str(self.artifact.version)


FetchResult = dict[int, "RevisionRecord | WikiscoreError"]


class _FetchBatcher:
    """Coalesces revision fetches for one wiki into calls of at most ``MAX_BATCH`` ids.

    With ``slots`` calls in flight at most (the wiki's ``max_concurrency``), ids asked for
    while all slots are busy wait and leave together in the next call. An idle wiki gets a
    request's ids in one immediate call, so batching adds no latency.
    """

    def __init__(
        self,
        fetch: Callable[[list[int]], Awaitable[FetchResult]],
        slots: int,
    ) -> None:
        self._fetch = fetch
        self._slots = max(1, slots)
        self._busy = 0
        self._queue: list[int] = []
        self._waiting: dict[int, asyncio.Future[RevisionRecord | WikiscoreError]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, rev_ids: Sequence[int]) -> FetchResult:
        loop = asyncio.get_running_loop()
        futures = {}
        for rev_id in dict.fromkeys(rev_ids):
            future = self._waiting.get(rev_id)
            if future is None:
                future = loop.create_future()
                self._waiting[rev_id] = future
                self._queue.append(rev_id)
            futures[rev_id] = future
        self._pump()
        return {rev_id: await asyncio.shield(f) for rev_id, f in futures.items()}

    def _pump(self) -> None:
        while self._queue and self._busy < self._slots:
            # A wiki that allows several requests in flight gets a large request split over
            # its free slots (never below MIN_SPLIT ids a call); a serial wiki gets up to 50.
            free = self._slots - self._busy
            size = min(MAX_BATCH, max(MIN_SPLIT, -(-len(self._queue) // free)))
            batch, self._queue = self._queue[:size], self._queue[size:]
            self._busy += 1
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[int]) -> None:
        try:
            try:
                results = await self._fetch(batch)
            except Exception as exc:  # the fetch function turns known errors into values
                error = ScoringFailed(f"fetching revisions failed: {type(exc).__name__}")
                metrics.log_event("fetch_failed", error=repr(exc))
                results = {rev_id: error for rev_id in batch}
            for rev_id in batch:
                future = self._waiting.pop(rev_id, None)
                outcome = results.get(rev_id)
                if outcome is None:
                    outcome = ScoringFailed(f"the wiki returned nothing for revision {rev_id}")
                if future is not None and not future.done():
                    future.set_result(outcome)
        finally:
            self._busy -= 1
            self._pump()


class Scorer:
    """Scores revisions, unsaved edits and users for every front end. One per process."""

    def __init__(
        self,
        registry: WikiRegistry,
        pool: ClientPool,
        store: Store,
        *,
        cache: ScoreCache | None = None,
        executor: Executor | None = None,
        workers: int = 2,
        processes: int = 0,
        upstream_timeout: float = 15.0,
        memory_items: int = 100_000,
        foreground: Foreground | None = None,
    ) -> None:
        """``workers`` threads run the CPU step, or with ``processes`` > 0 that many worker
        processes (features are pure Python: processes use every core, threads share one).
        ``foreground``: marks the CPU step, so that cache writers given the same object wait
        for it to end (``wikiscore.store.background``); the scorer's own writes wait too."""
        self.registry = registry
        self.pool = pool
        self.store = store
        self.memory = MemoryCache(memory_items)
        tiers: list[ScoreCache] = [self.memory, StoreCache(store)]
        if cache is not None:
            tiers.append(cache)
        self.cache = TieredCache(tiers)
        self._own_executor = executor is None
        self.processes = processes if executor is None else 0
        self.executor = executor or ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="wikiscore-score"
        )
        # Worker processes start on first use; one that dies is replaced (see ProcessPool).
        self.workers = ProcessPool(self.processes) if self.processes > 0 else None
        self.foreground = foreground or Foreground()
        self.upstream_timeout = upstream_timeout
        self._inflight: dict[str, asyncio.Future[EditScore | WikiscoreError]] = {}
        self._batchers: dict[str, _FetchBatcher] = {}
        self._models_by_wiki: dict[str, dict[str, ModelSpec]] = {}
        self._artifacts: dict[str, ModelArtifact] = {}
        self.load_failures: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._writes: set[asyncio.Future[None]] = set()  # scores being written to the cache

    async def _cpu(self, model: ServedModel, records: list[Any], explain: bool) -> list[Any]:
        """The CPU step for edit records: in a thread, or split over the worker processes."""
        if self.workers is None:
            from wikiscore.scoring.edit import score_edit_records

            return await asyncio.get_running_loop().run_in_executor(
                self.executor, _score_edits, score_edit_records, records, model.artifact, explain
            )
        parts = min(self.processes, max(1, len(records) // MIN_SPLIT))
        chunks = balanced_chunks(records, parts, weight=_record_weight)
        workers = self.workers
        done = await asyncio.gather(
            *(
                workers.run(
                    _score_edits_by_name, model.spec.name, [records[i] for i in chunk], explain
                )
                for chunk in chunks
            )
        )
        scores: list[Any] = [None] * len(records)
        for chunk, part in zip(chunks, done, strict=True):
            for index, score in zip(chunk, part, strict=True):
                scores[index] = score
        return scores

    # -- models ---------------------------------------------------------------------------
    def models_for(self, wiki: str | Wiki, kind: str | None = None) -> dict[str, ModelSpec]:
        """The models a wiki serves, by API name (e.g. ``editrisk``), optionally of one kind."""
        wiki_obj = self.registry.get_wiki(wiki) if isinstance(wiki, str) else wiki
        specs = self._models_by_wiki.get(wiki_obj.dbname)
        if specs is None:
            specs = {spec.api_name: spec for spec in _registry_models_for(wiki_obj)}
            self._models_by_wiki[wiki_obj.dbname] = specs
        if kind is None:
            return specs
        return {name: spec for name, spec in specs.items() if spec.kind == kind}

    def resolve(self, wiki: str, model: str, kind: str | None = None) -> ModelSpec:
        """The model a wiki serves under ``model`` (API name or full name); UnknownModel else."""
        specs = self.models_for(wiki, kind)
        spec = specs.get(model) or next((s for s in specs.values() if s.name == model), None)
        if spec is None:
            offered = ", ".join(sorted(specs)) or "none"
            what = f"{kind} model" if kind else "model"
            raise UnknownModel(f"no {what} {model!r} for {wiki}; available: {offered}")
        return spec

    async def served_model(self, wiki: str, model: str, kind: str | None = None) -> ServedModel:
        spec = self.resolve(wiki, model, kind)
        return ServedModel(spec, await self._load(spec))

    async def _load(self, spec: ModelSpec) -> ModelArtifact:
        loaded = self._artifacts.get(spec.name)
        if loaded is not None:  # the hot path: no thread hop once a model is loaded
            return loaded
        from wikiscore.models.registry import load_model

        try:
            artifact = await asyncio.to_thread(load_model, spec.name)
            self._artifacts[spec.name] = artifact
            return artifact
        except WikiscoreError as exc:
            if isinstance(exc, UnknownModel):
                raise
            raise ModelUnavailable(f"model {spec.name} cannot be loaded: {exc.message}") from exc
        except OSError as exc:
            raise ModelUnavailable(f"model {spec.name} cannot be loaded: {exc}") from exc

    async def warm_up(self) -> list[str]:
        """Load every model of every wiki that has one; the names loaded (errors logged)."""
        loaded: dict[str, None] = {}
        self.load_failures = {}
        for spec in _all_model_specs():
            try:
                artifact = await self._load(spec)
                if spec.kind == "edit":
                    await self._warm_features(ServedModel(spec, artifact))
                loaded[spec.name] = None
            except WikiscoreError as exc:
                self.load_failures[spec.name] = exc.message
                metrics.log_event("model_load_failed", model=spec.name, error=exc.message)
        return list(loaded)

    async def _warm_features(self, model: ServedModel) -> None:
        """Score one made-up edit so the first real request does not pay for compiling word
        lists and regular expressions (about 0.1 s)."""
        from wikiscore.records import RevisionRecord

        record = RevisionRecord.model_validate(
            {
                "rev_id": None,
                "parent_id": 1,
                "text": "Warm-up text with a [[link]] and a word or two.\n\nMore words.",
                "parent_text": "Warm-up text with a link.",
                "user": {"name": "192.0.2.1", "anon": True},
                "timestamp": "2020-01-01T00:00:00Z",
                "page": {"title": "Warm-up", "namespace": 0},
            }
        )
        # With worker processes, each one loads the model and warms up.
        warm = [self._cpu(model, [record], True) for _ in range(max(1, self.processes))]
        await asyncio.gather(*warm)

    def reload_models(self) -> None:
        """Forget loaded models and the per-wiki model table (next use reloads from disk)."""
        self._models_by_wiki.clear()
        self._artifacts.clear()
        if self.workers is not None:
            # Worker processes hold their own copies: replace them.
            old, self.workers = self.workers, ProcessPool(self.processes)
            old.close(finish_running=True)
        try:
            from wikiscore.models import registry as model_registry
        except ImportError:
            return
        for name in ("load_model", "available_models"):
            clear = getattr(getattr(model_registry, name, None), "cache_clear", None)
            if callable(clear):
                clear()

    # -- revisions ------------------------------------------------------------------------
    async def score_revisions(
        self,
        wiki: str,
        models: Sequence[str],
        rev_ids: Sequence[int],
        *,
        features: bool = False,
        explain: bool = False,
    ) -> dict[int, dict[str, EditScore | WikiscoreError]]:
        """Scores by revision id, then by the model names as asked for.

        Raises UnknownWiki / UnknownModel / InvalidInput for the whole call; every other
        failure (a revision that cannot be fetched, a model whose artifact cannot be loaded)
        is an error value in place of that score.
        """
        wiki_obj = self.registry.get_wiki(wiki)
        for rev_id in rev_ids:
            if isinstance(rev_id, bool) or not isinstance(rev_id, int):
                raise InvalidInput(f"revision ids must be integers, got {rev_id!r}")
            if not 0 < rev_id < MAX_REV_ID:
                raise InvalidInput(f"revision id {rev_id} is out of range")
        ids = list(dict.fromkeys(rev_ids))
        results: dict[int, dict[str, EditScore | WikiscoreError]] = {r: {} for r in ids}
        served: dict[str, ServedModel] = {}
        for name in dict.fromkeys(models):
            try:
                served[name] = await self.served_model(wiki, name, "edit")
            except ModelUnavailable as exc:  # a broken model does not stop the others
                for rev_id in ids:
                    results[rev_id][name] = exc
        variant = "x" if explain else "s"
        keys = {
            (name, rev_id): score_key(wiki, m.spec.name, m.version, rev_id, variant)
            for name, m in served.items()
            for rev_id in ids
        }
        cached = await self.cache.get_many(list(keys.values())) if keys else {}

        waits: list[tuple[str, int, asyncio.Future[EditScore | WikiscoreError]]] = []
        owned: list[tuple[ServedModel, int, str, asyncio.Future[EditScore | WikiscoreError]]] = []
        loop = asyncio.get_running_loop()
        for (name, rev_id), key in keys.items():
            data = cached.get(key)
            if data is not None:
                try:
                    results[rev_id][name] = _shape(decode_score(data), features)
                    metrics.SCORES.labels(wiki, served[name].spec.name, "cache").inc()
                    continue
                except Exception as exc:  # an undecodable entry is recomputed
                    metrics.log_event("cache_decode_failed", key=key, error=repr(exc))
            future = self._inflight.get(key)
            if future is None:
                future = loop.create_future()
                self._inflight[key] = future
                owned.append((served[name], rev_id, key, future))
            else:
                metrics.INFLIGHT_JOINS.inc()
            waits.append((name, rev_id, future))

        if owned:
            # A task of its own: a client that hangs up must not cancel work others wait on.
            task = asyncio.create_task(self._compute(wiki_obj, owned, explain))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(_log_task_failure)
        for name, rev_id, future in waits:
            outcome = await asyncio.shield(future)
            results[rev_id][name] = _shape(outcome, features)
        return results

    async def _compute(
        self,
        wiki: Wiki,
        owned: list[tuple[ServedModel, int, str, asyncio.Future[EditScore | WikiscoreError]]],
        explain: bool,
    ) -> None:
        handed: set[str] = set()  # keys whose in-flight futures the cache writer retires
        try:
            records = await self.fetch_revisions(wiki.dbname, [rev_id for _, rev_id, _, _ in owned])
            by_model: dict[str, list[tuple[ServedModel, int, str, asyncio.Future[Any]]]] = {}
            for item in owned:
                by_model.setdefault(item[0].spec.name, []).append(item)
            to_cache: list[tuple[str, Any, bool]] = []  # (key, score, drop the explanation)
            for items in by_model.values():
                model = items[0][0]
                ready: list[tuple[Any, RevisionRecord]] = []
                for it in items:
                    outcome = records[it[1]]
                    if isinstance(outcome, WikiscoreError):
                        _resolve(it[3], outcome)
                        metrics.SCORES.labels(wiki.dbname, model.spec.name, "error").inc()
                    else:
                        ready.append((it, outcome))
                if not ready:
                    continue
                scores = await self._run_edit_model(
                    model, [record for _, record in ready], explain=explain
                )
                # Answer first; encoding and writing the cache happen after (off the path of
                # the response).
                for (it, _), score in zip(ready, scores, strict=True):
                    _resolve(it[3], score)
                for (it, _), score in zip(ready, scores, strict=True):
                    if isinstance(score, WikiscoreError):
                        metrics.SCORES.labels(wiki.dbname, model.spec.name, "error").inc()
                        continue
                    metrics.SCORES.labels(wiki.dbname, model.spec.name, "computed").inc()
                    to_cache.append((it[2], score, False))
                    if explain:  # an explained score also answers plain requests
                        key = score_key(wiki.dbname, model.spec.name, model.version, it[1], "s")
                        to_cache.append((key, score, True))
            if to_cache:
                # Until the scores are in the cache, the (answered) in-flight futures answer
                # anyone asking again.
                handed = {key for key, _, plain in to_cache if not plain}
                inflight = [(key, future) for _, _, key, future in owned if key in handed]
                self._background(self._write_scores(to_cache, inflight))
        except Exception as exc:
            metrics.log_event("scoring_failed", wiki=wiki.dbname, error=repr(exc))
            for _, rev_id, _, future in owned:
                _resolve(future, ScoringFailed(f"scoring revision {rev_id} failed unexpectedly"))
        finally:
            for _, _, key, future in owned:
                if not future.done():
                    _resolve(future, ScoringFailed("scoring was interrupted"))
                if key not in handed and self._inflight.get(key) is future:
                    del self._inflight[key]

    async def _write_scores(
        self,
        scores: list[tuple[str, Any, bool]],
        inflight: list[tuple[str, asyncio.Future[Any]]],
    ) -> None:
        """Encode scores and put them in the cache, after the waiting requests were answered;
        then retire their in-flight futures. The memory tier gets them at once (repeat requests
        are answered from it); the store and Redis after any CPU step in progress."""
        try:
            await asyncio.sleep(0)  # let the answers go out first
            encoded: dict[str, bytes] = {}
            for key, score, plain in scores:
                if plain:
                    score = dataclasses.replace(score, contributions=None, reasons=None)
                encoded[key] = encode_score(score)
            await self.cache.put_many(encoded, only=self.memory)
            await self.foreground.wait_idle()
            await self.cache.put_many(encoded, skip=self.memory)
        finally:
            for key, future in inflight:
                if self._inflight.get(key) is future:
                    del self._inflight[key]

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        task.add_done_callback(_log_task_failure)

    async def fetch_revisions(self, wiki: str, rev_ids: Sequence[int]) -> FetchResult:
        """Revisions with content, parent content and editor info, batched per wiki."""
        batcher = self._batchers.get(wiki)
        if batcher is None:
            wiki_obj = self.registry.get_wiki(wiki)
            batcher = _FetchBatcher(
                functools.partial(self._fetch_batch, wiki), wiki_obj.max_concurrency
            )
            self._batchers[wiki] = batcher
        # Queueing behind a slow wiki has a limit too: past it, the revisions get a timeout
        # error (the fetch itself goes on and serves whoever asks next).
        deadline = 2 * self.upstream_timeout
        try:
            return await asyncio.wait_for(batcher.get(rev_ids), timeout=deadline)
        except TimeoutError:
            error = UpstreamTimeout(f"{wiki} is busy: no answer within {deadline:g} s")
            return dict.fromkeys(rev_ids, error)

    async def _fetch_batch(self, wiki: str, rev_ids: list[int]) -> FetchResult:
        client = self.pool.client(wiki)
        metrics.UPSTREAM_CALLS.labels(wiki).inc()
        started = time.perf_counter()
        try:
            fetched = await asyncio.wait_for(
                client.get_revisions(rev_ids, content=True, user_info=True, lean=True),
                timeout=self.upstream_timeout,
            )
            results: FetchResult = {
                rev_id: fetched[rev_id] for rev_id in rev_ids if rev_id in fetched
            }
        except TimeoutError:
            error: WikiscoreError = UpstreamTimeout(
                f"{wiki} did not answer within {self.upstream_timeout:g} s"
            )
            results = dict.fromkeys(rev_ids, error)
        except MediaWikiError as exc:
            results = dict.fromkeys(rev_ids, exc)
        finally:
            metrics.UPSTREAM_LATENCY.labels(wiki).observe(time.perf_counter() - started)
        for rev_id in rev_ids:
            if rev_id not in results:
                results[rev_id] = ScoringFailed(f"{wiki} returned nothing for revision {rev_id}")
        for outcome in results.values():
            if _is_error(outcome):
                metrics.UPSTREAM_ERRORS.labels(wiki, outcome.error_type).inc()
            else:
                metrics.UPSTREAM_REVISIONS.labels(wiki).inc()
        return results

    async def _run_edit_model(
        self, model: ServedModel, records: list[RevisionRecord], *, explain: bool
    ) -> list[EditScore | WikiscoreError]:
        started = time.perf_counter()
        with self.foreground.busy():
            scores = await self._cpu(model, records, explain)
        metrics.CPU_SECONDS.labels(model.spec.name).observe(time.perf_counter() - started)
        return scores

    # -- unsaved edits --------------------------------------------------------------------
    async def score_records(
        self,
        wiki: str,
        model: str,
        records: Sequence[RevisionRecord],
        *,
        features: bool = False,
        explain: bool = False,
    ) -> list[EditScore | WikiscoreError]:
        """Scores for revision records sent by the caller (unsaved edits); nothing is fetched."""
        self.registry.get_wiki(wiki)
        served = await self.served_model(wiki, model, "edit")
        if not records:
            return []
        scores = await self._run_edit_model(served, list(records), explain=explain)
        return [_shape(score, features) for score in scores]

    # -- users ----------------------------------------------------------------------------
    async def score_user(self, wiki: str, model: str, username: str) -> UserScore | WikiscoreError:
        """Vandal early warning for one account, from its recent contributions."""
        from wikiscore.scoring.user import score_user_edits

        self.registry.get_wiki(wiki)
        served = await self.served_model(wiki, model, "user")
        name = username.strip().replace("_", " ")
        if not name:
            raise InvalidInput("a user name is required")
        client = self.pool.client(wiki)
        try:
            metrics.UPSTREAM_CALLS.labels(wiki).inc()
            edits = await asyncio.wait_for(
                client.user_contributions(name, limit=50), timeout=self.upstream_timeout
            )
        except TimeoutError:
            metrics.UPSTREAM_ERRORS.labels(wiki, "upstream_timeout").inc()
            return UpstreamTimeout(f"{wiki} did not answer within {self.upstream_timeout:g} s")
        except MediaWikiError as exc:
            metrics.UPSTREAM_ERRORS.labels(wiki, exc.error_type).inc()
            return exc
        if not edits:
            # No contributions: an unknown account (404) or one that has not edited yet.
            try:
                found = (await client.get_users([name])).get(name)
            except MediaWikiError as exc:
                return exc
            if isinstance(found, WikiscoreError):
                return found
            return InvalidInput(f"user {name!r} has no edits to score yet")
        try:
            with self.foreground.busy():
                if self.workers is not None:
                    return await self.workers.run(
                        _score_user_by_name, served.spec.name, name, edits
                    )
                return await asyncio.get_running_loop().run_in_executor(
                    self.executor, score_user_edits, name, edits, served.artifact
                )
        except WikiscoreError as exc:
            return exc
        except Exception as exc:  # a bug in the CPU step: logged, answered as an error value
            metrics.log_event("score_user_failed", model=served.spec.name, error=repr(exc))
            return ScoringFailed(f"scoring user {name!r} failed: {type(exc).__name__}")

    async def aclose(self) -> None:
        if self._writes:  # scores being written to the cache: let them land
            await asyncio.gather(*list(self._writes), return_exceptions=True)
        await self.cache.aclose()
        if self._own_executor:
            self.executor.shutdown(wait=False, cancel_futures=True)
        if self.workers is not None:
            self.workers.close()


# -- helpers ------------------------------------------------------------------------------
def _registry_models_for(wiki: Wiki) -> list[ModelSpec]:
    try:
        from wikiscore.models.registry import models_for_wiki
    except ImportError:  # no model package yet: the service still answers health and wikis
        return []
    return list(models_for_wiki(wiki))


def _all_model_specs() -> list[ModelSpec]:
    try:
        from wikiscore.models.registry import available_models
    except ImportError:
        return []
    return list(available_models().values())


def _score_edits(
    score_fn: Callable[..., list[EditScore | WikiscoreError]],
    records: list[RevisionRecord],
    artifact: ModelArtifact,
    explain: bool,
) -> list[EditScore | WikiscoreError]:
    """Worker-pool side: features are always computed (they are cheap and cached with the
    score), explanations only when asked. A failure becomes an error per record."""
    try:
        return list(score_fn(records, artifact, features=True, explain=explain))
    except WikiscoreError as exc:
        if len(records) == 1:
            return [exc]
    except Exception as exc:
        if len(records) == 1:
            metrics.log_event("score_failed", error=repr(exc))
            return [ScoringFailed(f"scoring failed: {type(exc).__name__}")]
    # The batch failed as a whole: retry one by one so one bad record fails alone.
    out: list[EditScore | WikiscoreError] = []
    for record in records:
        out.extend(_score_edits(score_fn, [record], artifact, explain))
    return out


def _score_edits_by_name(
    model_name: str, records: list[RevisionRecord], explain: bool
) -> list[EditScore | WikiscoreError]:
    """Worker-process side: the model is loaded once per process (registry cache)."""
    from wikiscore.models.registry import load_model
    from wikiscore.scoring.edit import score_edit_records

    return _score_edits(score_edit_records, records, load_model(model_name), explain)


def _score_user_by_name(model_name: str, username: str, edits: list[RevisionRecord]) -> Any:
    from wikiscore.models.registry import load_model
    from wikiscore.scoring.user import score_user_edits

    return score_user_edits(username, edits, load_model(model_name))


def _shape(score: Any, features: bool) -> Any:
    if _is_error(score) or features or getattr(score, "features", None) is None:
        return score
    return dataclasses.replace(score, features=None)


def _is_error(value: object) -> TypeGuard[WikiscoreError]:
    return isinstance(value, WikiscoreError)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def balanced_chunks(
    items: Sequence[Any], parts: int, *, weight: Callable[[Any], float]
) -> list[list[int]]:
    """Split item indexes into ``parts`` groups of about equal total weight (largest first, each
    to the lightest group): feature extraction time grows with text size, and one huge page in
    an even split by count would leave the other worker idle."""
    groups: list[list[int]] = [[] for _ in range(max(1, parts))]
    loads = [0.0] * len(groups)
    for index in sorted(range(len(items)), key=lambda i: -weight(items[i])):
        lightest = loads.index(min(loads))
        groups[lightest].append(index)
        loads[lightest] += weight(items[index])
    return [sorted(group) for group in groups if group]


def _record_weight(record: Any) -> float:
    return (
        1000.0
        + len(getattr(record, "text", None) or "")
        + len(getattr(record, "parent_text", None) or "")
    )


def _log_task_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        metrics.log_event("scoring_task_failed", error=repr(task.exception()))
