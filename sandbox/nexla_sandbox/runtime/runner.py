"""One run of a source's flow: read new input, push it down the flow tree, write each sink's file once.

A run reads every input file that some consumer has not yet received (the source itself, or any
ACTIVE sink), runs it through the detected nexset and the derived nexsets' transforms, and writes
one output file per sink and run (`<sink path>/run-<run_id>-<sink_id>.<ext>`) holding the records of
the files that sink had not received. Deliveries are recorded only after the file is in place, so
re-running writes nothing new and a sink attached later is backfilled from every existing file.

Metrics count each input file once per resource: a file re-read to backfill a sink adds nothing to
the source's records, size or errors (it was ingested before) nor to a nexset that already
processed it, so daily totals match the input however many sinks were attached along the way.

Bad records (quarantined at read, or reported by the transform engine) are counted as errors,
logged with the operation index and kept in the run's error sample; only a real fault (an
unreadable file, an unwritable sink, a broken configuration) fails the run.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import time
from typing import Any

import pyarrow as pa
from nexla_ops.transform import TransformLimitError, TransformSpecError, apply_transform, transform_problems

from nexla_sandbox.state.flows import FlowIndex
from nexla_sandbox.state.store import Store, now_iso

from .discovery import detected_nexsets, discover, transform_spec, update_schema
from .formats import FormatError, check_output, encode_table, output_extension
from .inputs import InputFile, SourceConfigError, concat, read_input, source_inputs
from .ledger import Ledger
from .paths import OBJECT_STORE_TYPES, ConnectorPathError, resolve_path

RUN_IDS_KEPT = 100
_SKIPPED_SET_STATUSES = {"PAUSED", "DELETED"}


@dataclasses.dataclass
class RunResult:
    """What `POST /_sandbox/sources/{id}/run` answers."""

    run_id: int
    status: str
    records_in: int = 0
    records_out: int = 0
    errors: int = 0
    files: list[str] = dataclasses.field(default_factory=list)
    error_message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        if body["error_message"] is None:
            del body["error_message"]
        return body


class RunFault(Exception):
    """A fault that fails the whole run (the message is logged as ERROR and reported)."""

    def __init__(self, message: str, resource_type: str, resource_id: int, details: dict | None = None) -> None:
        super().__init__(message)
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.details = details or {}


class FlowRun:
    """Executes one run; construct per run and call `execute()`."""

    def __init__(self, store: Store, ledger: Ledger, data_dir: pathlib.Path, source: dict, trigger: str) -> None:
        self.store = store
        self.ledger = ledger
        self.data_dir = pathlib.Path(data_dir)
        self.source = source
        self.trigger = trigger
        self.started = time.time()
        self.run_id = ledger.start_run(source["id"], trigger, self.started)
        self.result = RunResult(run_id=self.run_id, status="RUNNING")
        self.failures: list[str] = []

    def log(self, level: str, message: str, resource_type: str, resource_id: int, **details: Any) -> None:
        self.ledger.log(data_source_id=self.source["id"], run_id=self.run_id, level=level, message=message,
                        resource_type=resource_type, resource_id=resource_id, details=details)

    def execute(self) -> RunResult:
        source_id = self.source["id"]
        self.log("INFO", f"Run {self.run_id} started", "data_sources", source_id, trigger=self.trigger)
        try:
            self._run()
        except RunFault as fault:
            self.failures.append(str(fault))
            self.log("ERROR", str(fault), fault.resource_type, fault.resource_id, **fault.details)
            self.ledger.record_metric(
                self.run_id, fault.resource_type, fault.resource_id, data_source_id=source_id,
                data_set_id=fault.resource_id if fault.resource_type == "data_sets" else None,
                records=0, size=0, errors=1, status="FAILED", started_at=self.started, error_message=str(fault),
            )
        self.result.status = "FAILED" if self.failures else "SUCCESS"
        self.result.error_message = "; ".join(self.failures) or None
        self.ledger.finish_run(
            self.run_id, status=self.result.status, records_in=self.result.records_in,
            records_out=self.result.records_out, errors=self.result.errors, files=self.result.files,
            error_message=self.result.error_message,
        )
        self._remember_run_id()
        self.log("ERROR" if self.failures else "INFO", f"Run {self.run_id} finished: {self.result.status}",
                 "data_sources", source_id, records_in=self.result.records_in,
                 records_out=self.result.records_out, errors=self.result.errors, files=self.result.files)
        return self.result

    def _remember_run_id(self) -> None:
        current = self.store.get("data_sources", self.source["id"])
        if current is None:
            return
        run_ids = list(current.get("run_ids") or [])
        run_ids.append({"id": self.run_id, "created_at": now_iso()})
        self.store.update("data_sources", self.source["id"], {"run_ids": run_ids[-RUN_IDS_KEPT:]})

    def _run(self) -> None:
        source = self.source
        source_id = source["id"]
        if not detected_nexsets(self.store, source_id):
            try:
                discover(self.store, self.ledger, self.data_dir, source)
            except (OSError, FormatError, SourceConfigError) as exc:
                raise RunFault(f"cannot read the source's input: {exc}", "data_sources", source_id) from exc
        index = FlowIndex.build(self.store)
        try:
            files = source_inputs(self.data_dir, source)
        except SourceConfigError as exc:
            raise RunFault(str(exc), "data_sources", source_id) from exc

        sinks = self._active_sinks(index)
        pending: dict[tuple[str, int], list[InputFile]] = {("source", source_id): []}
        for consumer in [("source", source_id)] + [("sink", sink["id"]) for _, sink in sinks]:
            done = self.ledger.delivered(*consumer)
            pending[consumer] = [item for item in files if item.key not in done]
        to_read = [item for item in files if any(item in waiting for waiting in pending.values())]

        tables = self._read(to_read, {item.key for item in pending[("source", source_id)]})
        by_set: dict[int, dict[str, pa.Table]] = {}
        for data_set in index.sets_of_source(source_id):
            self._through(index, data_set, tables, by_set)
        for data_set, sink in sinks:
            self._deliver(sink, data_set, pending[("sink", sink["id"])], by_set.get(data_set["id"], {}))
        self.ledger.mark_delivered("source", source_id, self.run_id,
                                   [(item.key, tables[item.key].num_rows) for item in pending[("source", source_id)]])

    def _active_sinks(self, index: FlowIndex) -> list[tuple[dict, dict]]:
        found: list[tuple[dict, dict]] = []
        stack = list(index.sets_of_source(self.source["id"]))
        while stack:
            data_set = stack.pop(0)
            if data_set.get("status") in _SKIPPED_SET_STATUSES:
                continue
            found.extend((data_set, s) for s in index.sinks_of_set(data_set["id"]) if s.get("status") == "ACTIVE")
            stack.extend(index.sets_of_parent(data_set["id"]))
        return found

    def _read(self, items: list[InputFile], fresh: set[str]) -> dict[str, pa.Table]:
        """Read `items`; only the `fresh` ones (new to the source) count in its metrics, logs and errors."""
        source_id = self.source["id"]
        tables: dict[str, pa.Table] = {}
        records = size = rejected_count = 0
        for item in items:
            try:
                read = read_input(self.source, item)
            except (OSError, FormatError, SourceConfigError) as exc:
                raise RunFault(f"cannot read input file {item.name}: {exc}", "data_sources", source_id,
                               {"file": item.name}) from exc
            tables[item.key] = read.table
            if item.key not in fresh:
                continue
            records += read.table.num_rows + len(read.rejected)
            size += item.size
            if read.rejected:
                rejected_count += len(read.rejected)
                self.ledger.record_errors(self.run_id, "data_sources", source_id,
                                          [(None, bad.message, bad.record) for bad in read.rejected])
                self.log("WARN", f"{len(read.rejected)} record(s) of {item.name} quarantined", "data_sources",
                         source_id, file=item.name, errors=[bad.message for bad in read.rejected[:5]])
        self.result.records_in = records
        self.result.errors += rejected_count
        self.ledger.record_metric(self.run_id, "data_sources", source_id, data_source_id=source_id, data_set_id=None,
                                  records=records, size=size, errors=rejected_count, status="SUCCESS",
                                  started_at=self.started)
        if items:
            self.log("INFO", f"Read {records} new record(s) from {len(fresh & tables.keys())} new file(s)"
                     + (f"; re-read {len(tables.keys() - fresh)} file(s) for sinks that had not received them"
                        if tables.keys() - fresh else ""),
                     "data_sources", source_id, files=[item.name for item in items], bytes=size)
        return tables

    def _through(self, index: FlowIndex, data_set: dict, tables: dict[str, pa.Table],
                 by_set: dict[int, dict[str, pa.Table]]) -> None:
        """Compute `data_set`'s records per input file from its parent's, then recurse to its children."""
        if data_set.get("status") in _SKIPPED_SET_STATUSES:
            return
        spec = transform_spec(self.store, data_set) if data_set.get("parent_data_set_id") else None
        started = time.time()
        processed = self.ledger.delivered("data_set", data_set["id"])
        out: dict[str, pa.Table] = {}
        errors: list[tuple[int | None, str, Any]] = []
        error_count = 0
        for key, table in tables.items():
            if spec is None or table.num_rows == 0:
                out[key] = table
                continue
            try:
                result = apply_transform(spec, table)
            except TransformSpecError as exc:
                # A valid transform can still stop: at a limit, or a nexla.custom script refused or killed.
                if isinstance(exc, TransformLimitError):
                    cause = "stopped at a transform limit"
                elif transform_problems(spec):
                    cause = "has an invalid transform"
                else:
                    cause = "has a transform the sandbox could not run"
                raise RunFault(f"nexset {data_set['id']} {cause}: {exc}", "data_sets", data_set["id"]) from exc
            out[key] = result.table
            if key not in processed:
                error_count += result.error_count
                errors.extend((error.operation_index, error.message, error.record) for error in result.errors)
        by_set[data_set["id"]] = out
        combined = concat(list(out.values())) if out else pa.table({})
        update_schema(self.store, self.ledger, "data_sets", data_set, combined, source_id=self.source["id"],
                      run_id=self.run_id)
        new = concat([table for key, table in out.items() if key not in processed])
        self.ledger.record_metric(self.run_id, "data_sets", data_set["id"], data_source_id=self.source["id"],
                                  data_set_id=data_set["id"], records=new.num_rows,
                                  size=new.nbytes if new.num_rows else 0, errors=error_count,
                                  status="SUCCESS", started_at=started)
        self.ledger.mark_delivered("data_set", data_set["id"], self.run_id,
                                   [(key, table.num_rows) for key, table in out.items() if key not in processed])
        if error_count:
            self.result.errors += error_count
            self.ledger.record_errors(self.run_id, "data_sets", data_set["id"], errors)
            for operation_index, message in sorted({(op, msg) for op, msg, _ in errors}, key=str)[:10]:
                self.log("WARN", f"operations[{operation_index}]: {message}", "data_sets", data_set["id"],
                         operation_index=operation_index)
            self.log("WARN", f"{error_count} record error(s) in the transform", "data_sets", data_set["id"],
                     errors=error_count)
        for child in index.sets_of_parent(data_set["id"]):
            self._through(index, child, out, by_set)

    def _deliver(self, sink: dict, data_set: dict, pending: list[InputFile], tables: dict[str, pa.Table]) -> None:
        started = time.time()
        sink_id = sink["id"]
        ready = [item for item in pending if item.key in tables]
        table = concat([tables[item.key] for item in ready])
        size = 0
        written: str | None = None
        try:
            if table.num_rows:
                written, size = self._write(sink, table)
        except (OSError, FormatError, ConnectorPathError, pa.ArrowException) as exc:
            message = f"sink {sink_id} could not write: {exc}"
            self.failures.append(message)
            self.log("ERROR", message, "data_sinks", sink_id, path=(sink.get("sink_config") or {}).get("path"))
            self.ledger.record_metric(self.run_id, "data_sinks", sink_id, data_source_id=self.source["id"],
                                      data_set_id=data_set["id"], records=0, size=0, errors=table.num_rows,
                                      status="FAILED", started_at=started, error_message=message)
            return
        self.ledger.mark_delivered("sink", sink_id, self.run_id,
                                   [(item.key, tables[item.key].num_rows) for item in ready])
        self.ledger.record_metric(self.run_id, "data_sinks", sink_id, data_source_id=self.source["id"],
                                  data_set_id=data_set["id"], records=table.num_rows, size=size, errors=0,
                                  status="SUCCESS", started_at=started)
        self.result.records_out += table.num_rows
        if written:
            self.result.files.append(written)
            self.log("INFO", f"Wrote {table.num_rows} record(s) to {written}", "data_sinks", sink_id,
                     file=written, records=table.num_rows, bytes=size)

    def _write(self, sink: dict, table: pa.Table) -> tuple[str, int]:
        """Write the sink's file for this run atomically; returns (data-dir-relative name, bytes)."""
        sink_type = str(sink.get("sink_type") or "").lower()
        if sink_type not in OBJECT_STORE_TYPES:
            raise FormatError(f"sink_type '{sink_type}' cannot be written by the sandbox; use s3, gcs or azure_blb")
        config = sink.get("sink_config") or {}
        fmt, compression = check_output(config.get("data_format") or config.get("file_format"),
                                        config.get("file_compression"))
        folder = resolve_path(self.data_dir, sink_type, config.get("path"), field="sink_config.path")
        data = encode_table(table, fmt, compression)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"run-{self.run_id}-{sink['id']}{output_extension(fmt, compression)}"
        partial = folder / f".{target.name}.partial"
        partial.write_bytes(data)
        os.replace(partial, target)
        return target.relative_to(self.data_dir).as_posix(), len(data)

