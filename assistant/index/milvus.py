"""The first retrieval stage in Milvus (``POLICYQA_MILVUS_URI`` / ``--milvus URI``).

A path (``index/milvus.db``) runs Milvus Lite (a local Milvus process started by pymilvus;
tests, a laptop); an ``http://host:19530`` address uses a Milvus Standalone or Distributed
server, which several ``policyqa serve`` processes on several machines can share.

Milvus Lite here is milvus-lite 2.5, which runs Milvus's own C++ engine: the same engine
and search semantics as a Milvus 2.5/2.6 server, searched exactly (it builds only FLAT
indexes). milvus-lite 3.x, a rewrite in pure Python, was measured 11-18× slower at 100k
chunks (``docs/milvus-lite-probe.md``) and is not supported.

One collection per index folder holds, for every chunk of the live build: its id, plan,
year, the year it reviews, whether it is a record chunk, chunk vector (inner product; HNSW on a server, exact on
Milvus Lite) and BM25 weights as a sparse vector. The BM25 weights are policyqa's own
(bm25s over jieba tokens, the local index's matrix), inserted as sparse vectors and
queried with the question's token counts, so Milvus's inner product *is* the local BM25
score: Milvus's built-in BM25 function tokenises differently and ranks differently unless
its analyzer is tuned (measured in ``docs/milvus-lite-probe.md``). Filters are pushed down as a filter expression.

The first stage asks Milvus for the ``depth`` best chunks by cosine and the ``depth`` best
by BM25 (the first of which is the BM25 maximum, the fusion's normaliser), fetches the
missing score of each from the stored vectors, and fuses exactly as the local store.

Synchronising: on open, the collection is compared plan by plan with the loaded build
(chunk ids per plan); the chunks of changed or removed plans are deleted by plan id and
those of new or changed plans inserted. But BM25 weights depend on the whole corpus, so
when the build's BM25 data changed (any plan added, changed or removed) every row is
rewritten; only a reload of the same build is free. The collection records the
embedding model (in a small ``policyqa_meta`` collection: Milvus Lite keeps no collection
properties); a collection built with another model is refused like a local index.

The whole build folder (documents, chunk texts, sentences, facts, BM25) is also published
to a second collection, ``policyqa_files``, in parts checked against the build's checksums:
a serve process on another machine with ``--milvus http://…`` and an empty ``--index``
folder fetches it from there (:meth:`MilvusChunkStore.fetch`) and needs no shared disk;
such a process looks for a newer published build every ``milvus_poll_seconds``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..config import Settings
from .chunkstore import Allowed, FirstStage
from .store import ModelMismatchError, PolicyIndex, PolicyIndexError, verify_build

log = logging.getLogger(__name__)

COLLECTION = "policyqa_chunks"
FILES = "policyqa_files"  # the live build folder, for serve processes without a local copy
META = "policyqa_meta"  # key → value: each collection's model and BM25 fingerprint, the published build
_FILE_PART = 60_000  # base64 characters per row (a VARCHAR holds at most 65,535)
SCHEMA_VERSION = "2"  # 2: plans and record chunks filtered by number and flag, not by text
_INSERT_BATCH = 2000  # rows per insert: 5,000 ran 20× slower on Milvus Lite (docs/milvus-lite-probe.md)
_DELETE_PLANS = 1000  # plans per delete expression


class _LiteTimestampNotice(logging.Filter):
    """Drops pymilvus's notice that Milvus Lite gives its iterators no server timestamp
    (pymilvus then uses the client's clock, which is right for a local process); it would
    otherwise be printed on every open. Kept for a server, where it signals a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "mvccTs" not in record.getMessage()


class MilvusStoreError(PolicyIndexError):
    """Milvus cannot be reached or holds something policyqa cannot use; says what to do."""


def _quoted(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def plan_key(doc_id: str) -> int:
    """A plan's number in Milvus: 64 bits of a hash of its id, stable across builds.

    Plans are filtered by it: at a million chunks Milvus Lite evaluated ``doc_id in [...]``
    (text) in about 55 ms per search, an integer field in a few."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def plans_expression(doc_ids: list[str]) -> str:
    """The Milvus filter expression selecting the chunks of these plans."""
    return f"plan in [{', '.join(str(plan_key(d)) for d in dict.fromkeys(doc_ids))}]"


def filter_expression(allowed: Allowed) -> str:
    """The Milvus filter expression for ``allowed`` ("" when everything is allowed)."""
    parts = []
    if allowed.doc_ids is not None:
        parts.append(plans_expression(allowed.doc_ids))
    if allowed.years:
        years = ", ".join(str(int(y)) for y in allowed.years)
        covering = f" or (about_year == 0 and {plans_expression(allowed.covering)})" if allowed.covering else ""
        parts.append(f"(year in [{years}] or about_year in [{years}]{covering})")
    if not allowed.records:
        parts.append("record == false")
    return " and ".join(parts)


class MilvusChunkStore:
    """The first stage of retrieval over a Milvus collection kept in step with ``index``.

    Args:
        uri: a local path (Milvus Lite) or ``http://host:port`` (a Milvus server).
        index: the loaded build, synchronised into the collection (or later, with
            :meth:`with_index`).
        collection: the collection name (one per index folder).
        ef: HNSW search breadth on a server (at least the depth asked for).
        publish: copy the build folder into Milvus for processes without one (:meth:`publish`).
    """

    name = "milvus"

    def __init__(
        self,
        uri: str,
        index: PolicyIndex | None = None,
        collection: str = COLLECTION,
        ef: int = 256,
        publish: bool = True,
    ) -> None:
        if not uri or not str(uri).strip():
            raise MilvusStoreError("no Milvus URI: give a path (Milvus Lite) or http://host:19530")
        if ef < 1:
            raise MilvusStoreError(f"ef must be at least 1 (got {ef})")
        # gRPC honours proxy variables even for Milvus Lite's loopback server.
        no_proxy = [x for x in (os.environ.get("no_proxy"), "127.0.0.1,localhost") if x]
        os.environ["no_proxy"] = os.environ["NO_PROXY"] = ",".join(no_proxy)
        try:
            from pymilvus import MilvusClient
        except ImportError as err:
            raise MilvusStoreError(
                "the Milvus store needs pymilvus (and milvus-lite for a local path): pip install 'policyqa[milvus]'"
            ) from err
        self.uri = str(uri)
        self.index = index
        self.collection = collection
        self.ef = ef
        self.publishing = publish
        self.lite = "://" not in self.uri
        if self.lite:
            iterator_log = logging.getLogger("pymilvus.orm.iterator")
            if not any(isinstance(f, _LiteTimestampNotice) for f in iterator_log.filters):
                iterator_log.addFilter(_LiteTimestampNotice())
            if Path(self.uri).is_dir():
                raise MilvusStoreError(
                    f"{self.uri} is a folder, not a Milvus Lite database (a milvus-lite 3.x data folder?): "
                    "Milvus Lite 2.5 keeps its data in one file; give another path or move the folder away"
                )
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            with warnings.catch_warnings():
                # milvus-lite 2.5 reads its own version through the deprecated pkg_resources.
                warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                self.client = MilvusClient(self.uri)
        except ModuleNotFoundError as err:
            raise MilvusStoreError(
                f"cannot start Milvus Lite for {self.uri}: {err} (pip install 'policyqa[milvus]')"
            ) from err
        except Exception as err:  # pymilvus raises its own types; the message says what to check
            raise MilvusStoreError(f"cannot open Milvus at {self.uri} ({type(err).__name__}: {err})") from err
        self._meta_collection()
        self._rows: dict[str, int] = {}
        if index is not None:
            self._rows = index.row_of
            self.synchronise()

    @classmethod
    def from_settings(cls, settings: Settings) -> MilvusChunkStore:
        """A store at ``settings.milvus_uri`` with the settings' search breadth and publishing."""
        return cls(settings.milvus_uri, ef=settings.milvus_hnsw_ef, publish=settings.milvus_publish)

    def with_index(self, index: PolicyIndex) -> MilvusChunkStore:
        """A store over ``index`` sharing this one's connection, synchronised first (a
        reload: the engine being replaced keeps answering meanwhile)."""
        store = copy.copy(self)
        store.index, store._rows = index, index.row_of
        store.synchronise()
        return store

    # -- schema and synchronisation

    def _create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=256)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
        schema.add_field("plan", DataType.INT64)  # plan_key(doc_id), for filters
        schema.add_field("year", DataType.INT64)
        schema.add_field("about_year", DataType.INT64)
        schema.add_field("record", DataType.BOOL)  # the publisher's record chunk (文件信息)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.index.embedder_info.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        params = MilvusClient.prepare_index_params()
        if self.lite:  # Milvus Lite builds FLAT indexes only: exact search
            params.add_index("dense", index_type="FLAT", metric_type="IP")
        else:
            params.add_index("dense", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200})
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self.client.create_collection(self.collection, schema=schema, index_params=params)
        self._set_meta(**self._identity())

    # -- small facts about the collections (Milvus Lite has no collection properties)

    def _table(self, name: str, fields: list[tuple[str, str, dict]]) -> None:
        """Load the collection ``name`` of plain rows, creating it first when missing with
        ``fields`` (name, DataType name, options; the first is the primary key) and the 2-d
        dummy vector Milvus wants in every collection."""
        from pymilvus import DataType, MilvusClient

        if not self.client.has_collection(name):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            for position, (field, kind, options) in enumerate(fields):
                schema.add_field(field, getattr(DataType, kind), is_primary=position == 0, **options)
            schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
            params = MilvusClient.prepare_index_params()
            params.add_index("dummy", index_type="FLAT", metric_type="L2")
            self.client.create_collection(name, schema=schema, index_params=params)
        self.client.load_collection(name)

    def _meta_collection(self) -> None:
        self._table(META, [("key", "VARCHAR", {"max_length": 512}), ("value", "VARCHAR", {"max_length": 4096})])

    def _meta(self, *keys: str) -> dict[str, str]:
        rows = self.client.get(META, ids=list(keys), output_fields=["key", "value"])
        return {row["key"]: row["value"] for row in rows}

    def _set_meta(self, **items: str) -> None:
        self.client.upsert(META, [{"key": k, "value": str(v), "dummy": [0.0, 0.0]} for k, v in items.items()])

    def _identity(self) -> dict[str, str]:
        info = self.index.embedder_info
        return {
            f"{self.collection}.policyqa_schema": SCHEMA_VERSION,
            f"{self.collection}.embedder": info.key,
            f"{self.collection}.dim": str(info.dim),
        }

    def _check_identity(self) -> None:
        wanted = self._identity()
        stored = self._meta(*wanted)
        found = {key.split(".", 1)[1]: stored.get(key) for key in wanted}
        wanted = {key.split(".", 1)[1]: value for key, value in wanted.items()}
        if found.get("policyqa_schema") != wanted["policyqa_schema"]:
            raise MilvusStoreError(
                f"the Milvus collection {self.collection} at {self.uri} was not made by this policyqa "
                f"(schema {found.get('policyqa_schema')!r}); drop it or use another --milvus URI"
            )
        if found.get("embedder") != wanted["embedder"] or found.get("dim") != wanted["dim"]:
            raise ModelMismatchError(
                f"the Milvus collection {self.collection} at {self.uri} holds vectors of "
                f"{found.get('embedder')} ({found.get('dim')}-d) but the index uses {wanted['embedder']} "
                f"({wanted['dim']}-d); drop the collection (or use another --milvus URI) and open again"
            )

    def synchronise(self) -> dict[str, int]:
        """Bring the collection in step with the loaded build, plan by plan; returns counts."""
        if not self.client.has_collection(self.collection):
            self._create()
        self._check_identity()
        self.client.load_collection(self.collection)
        stored: dict[str, set[str]] = {}
        for row in self._query_all(["id", "doc_id"]):
            stored.setdefault(row["doc_id"], set()).add(row["id"])
        wanted: dict[str, set[str]] = {}
        for chunk in self.index.chunks:
            wanted.setdefault(chunk.doc_id, set()).add(chunk.chunk_id)
        lexical = self._lexical_fingerprint()
        lexical_key = f"{self.collection}.lexical"
        if self._meta(lexical_key).get(lexical_key) != lexical:
            # BM25 weights depend on the whole corpus (idf, average length): when any plan
            # changed, every passage's sparse vector is rewritten, not only the changed plans'.
            stale, fresh = list(stored), list(wanted)
        else:
            stale = [d for d in stored if wanted.get(d) != stored[d]]
            fresh = [d for d in wanted if stored.get(d) != wanted[d]]
        for low in range(0, len(stale), _DELETE_PLANS):  # a full rewrite deletes every plan: in groups
            self.client.delete(self.collection, filter=plans_expression(stale[low : low + _DELETE_PLANS]))
        if fresh:
            self._insert(set(fresh))
        if stale or fresh:
            self.client.flush(self.collection)
        self._set_meta(**{lexical_key: lexical})
        if self.publishing:
            self.publish()
        log.info("Milvus %s: %d plans removed or changed, %d inserted", self.uri, len(stale), len(fresh))
        return {"removed": len(stale), "inserted": len(fresh)}

    def _lexical_fingerprint(self) -> str:
        """The checksums of the build's BM25 files (from its manifest), as one string."""
        sums = self.index.manifest.get("checksums", {})
        return hashlib.sha256(
            "".join(f"{k}={v};" for k, v in sorted(sums.items()) if k.startswith("bm25/")).encode()
        ).hexdigest()[:32]

    def _query_all(self, fields: list[str]) -> list[dict]:
        return list(self._iterate(self.collection, "", fields))

    def _iterate(self, collection: str, expression: str, fields: list[str], batch: int = 4096) -> Iterator[dict]:
        """Every row matching ``expression``: an iterator, since Milvus caps offset + limit at 16,384."""
        rows = self.client.query_iterator(collection, batch_size=batch, filter=expression, output_fields=fields)
        try:
            while page := rows.next():
                yield from page
        finally:
            rows.close()

    def _insert(self, doc_ids: set[str]) -> None:
        index = self.index
        vectors = index.chunk_vectors
        batch = []
        for row, (chunk, weights) in enumerate(zip(index.chunks, index.lexical.document_vectors(), strict=True)):
            if chunk.doc_id not in doc_ids:
                continue
            document = index.documents[chunk.doc_id]
            batch.append({
                "id": chunk.chunk_id,
                "doc_id": chunk.doc_id,
                "year": int(document.year or 0),
                "about_year": int(chunk.about_year or 0),
                "plan": plan_key(chunk.doc_id),
                "record": bool(chunk.is_record),
                "dense": vectors[row].astype(np.float32).tolist(),
                "sparse": weights or {0: 1e-9},
            })  # fmt: skip
            if len(batch) >= _INSERT_BATCH:
                self.client.insert(self.collection, batch)
                batch = []
        if batch:
            self.client.insert(self.collection, batch)

    # -- the first stage

    def first_stage(
        self, vector: np.ndarray, lexical_query: str, weight: float, allowed: Allowed, depth: int
    ) -> FirstStage:
        expression = filter_expression(allowed)
        search_params: dict = {"metric_type": "IP"}
        if not self.lite:  # HNSW on a server; Milvus Lite searches exactly
            search_params["params"] = {"ef": max(self.ef, depth)}
        as_list = np.asarray(vector, np.float32).tolist()
        dense_hits = self.client.search(
            self.collection, data=[as_list], anns_field="dense", limit=depth, filter=expression,
            search_params=search_params,
        )[0]  # fmt: skip
        dense = {hit["id"]: float(hit["distance"]) for hit in dense_hits}
        query = self.index.lexical.query_weights(lexical_query)
        lexical: dict[str, float] = {}
        if query:
            lexical_hits = self.client.search(
                self.collection, data=[query], anns_field="sparse", limit=depth, filter=expression,
                search_params={"metric_type": "IP"},
            )[0]  # fmt: skip
            lexical = {hit["id"]: abs(float(hit["distance"])) for hit in lexical_hits}
        top = max(lexical.values(), default=0.0)
        ids = [i for i in dict.fromkeys([*dense, *lexical]) if i in self._rows]
        # A chunk found by one search only: its other score by a search among those chunks
        # alone (ids and scores travel, not vectors; a chunk with no query token scores 0).
        no_dense = [i for i in ids if i not in dense]
        if no_dense:
            for hit in self._among(no_dense, as_list, "dense", search_params):
                dense[hit["id"]] = float(hit["distance"])
        no_lexical = [i for i in ids if i not in lexical] if query else []
        if no_lexical:
            for hit in self._among(no_lexical, query, "sparse", {"metric_type": "IP"}):
                lexical[hit["id"]] = abs(float(hit["distance"]))
        rows = np.array([self._rows[i] for i in ids], dtype=np.int64)
        dense_scores = np.array([dense.get(i, 0.0) for i in ids], dtype=np.float32)
        lexical_scores = np.array([lexical.get(i, 0.0) for i in ids], dtype=np.float32)
        return FirstStage(rows, dense_scores, lexical_scores, top).best(weight, depth)

    def _among(self, ids: list[str], data: list | dict, field: str, params: dict) -> list[dict]:
        """The scores of ``data`` against the chunks ``ids`` only (by ``field``)."""
        return self.client.search(
            self.collection, data=[data], anns_field=field, limit=len(ids), filter=f"id in {_quoted(ids)}",
            search_params=params,
        )[0]  # fmt: skip

    # -- the build folder, shared through Milvus

    def _files_collection(self) -> None:
        self._table(
            FILES,
            [
                ("id", "VARCHAR", {"max_length": 600}),
                ("build", "VARCHAR", {"max_length": 128}),
                ("path", "VARCHAR", {"max_length": 512}),
                ("part", "INT64", {}),
                ("data", "VARCHAR", {"max_length": 65535}),
            ],
        )

    def published(self) -> str:
        """The name of the build published in Milvus ("" when none is)."""
        return self._meta("files.build").get("files.build", "")

    def publish(self) -> bool:
        """Store the live build folder (documents, chunks, sentences, facts, BM25) in Milvus,
        so that a serve process on another machine can run from Milvus alone (:meth:`fetch`).
        Returns False when that build is already there."""
        build = self.index.path
        self._files_collection()
        if self.published() == build.name:
            return False
        rows = []
        for path in sorted(p for p in build.rglob("*") if p.is_file()):
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            name = path.relative_to(build).as_posix()
            for part, low in enumerate(range(0, max(len(data), 1), _FILE_PART)):
                rows.append({
                    "id": f"{build.name}/{name}#{part}", "build": build.name, "path": name, "part": part,
                    "data": data[low : low + _FILE_PART], "dummy": [0.0, 0.0],
                })  # fmt: skip
        for low in range(0, len(rows), 64):
            self.client.insert(FILES, rows[low : low + 64])
        self.client.flush(FILES)
        self._set_meta(**{"files.build": build.name})
        # Readers fetching the old build meanwhile have it whole until here; they will see the new one.
        self.client.delete(FILES, filter=f"build != {json.dumps(build.name)}")
        log.info("Milvus %s: build %s published (%d parts)", self.uri, build.name, len(rows))
        return True

    def fetch(self, index_dir: Path) -> str | None:
        """Copy the build published in Milvus into ``index_dir`` (checked against its
        checksums) and make it live there; returns its name, or None when none is published."""
        self._files_collection()
        name = self.published()
        if not name:
            return None
        index_dir = Path(index_dir)
        target = index_dir / name
        if not (target.is_dir() and not verify_build(target)):
            parts: dict[str, dict[int, str]] = {}
            for row in self._iterate(FILES, f"build == {json.dumps(name)}", ["path", "part", "data"], batch=256):
                parts.setdefault(row["path"], {})[int(row["part"])] = row["data"]
            staging = index_dir / f".tmp-{name}"
            shutil.rmtree(staging, ignore_errors=True)
            for path, pieces in parts.items():
                out = staging / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(base64.b64decode("".join(pieces[i] for i in sorted(pieces))))
            problems = verify_build(staging)
            if problems:
                shutil.rmtree(staging, ignore_errors=True)
                raise MilvusStoreError(
                    f"the build {name} in Milvus at {self.uri} is damaged: {'; '.join(problems[:3])}"
                )
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
        try:
            previous = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            previous = ""
        pointer = index_dir / f".CURRENT-{name}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, index_dir / "CURRENT")
        # The build live until now stays one generation, for a reader that opened it just before.
        for old in index_dir.glob("build-*"):
            if old.is_dir() and old.name not in {name, previous}:
                shutil.rmtree(old, ignore_errors=True)
        log.info("Milvus %s: build %s fetched into %s", self.uri, name, index_dir)
        return name

    def close(self) -> None:
        """Close the client; for Milvus Lite, release the data folder for other processes."""
        self.client.close()
        if "://" not in self.uri:
            try:
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(self.uri)
            except Exception:  # a milvus-lite without the manager: nothing to release
                log.debug("milvus-lite release not available", exc_info=True)
