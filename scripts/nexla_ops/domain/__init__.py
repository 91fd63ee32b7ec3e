"""The typed domain core: every operation reads API replies through these types, parsed once.

* :mod:`.flows`: :class:`FlowTree` (walk, nodes, statuses, credentials of a flow);
* :mod:`.probe`: the one credential probe verdict (passed / failed / unknown);
* :mod:`.runs`: runs and run summaries (epoch-ms run ids, records in and out of a flow run);
* :mod:`.metrics`: daily metrics and run log entries (documented and flat shapes);
* :mod:`.access`: accessors and roles; :mod:`.resources`, :mod:`.activity`: API objects;
* :mod:`.errors`: the one error document of scripts, MCP tools and per-item results.

Unknown fields are kept (``extra="allow"``) and missing optional fields tolerated; identity
fields are required, so a malformed reply fails loudly instead of producing half an object.
"""

from .access import (
    Accessor,
    Org,
    OrgAccessor,
    OrgMembership,
    Project,
    ProjectDataFlow,
    Team,
    TeamAccessor,
    TeamMember,
    User,
    UserAccessor,
    parse_accessors,
)
from .activity import AsyncTask, AuditEntry, Notification
from .base import Connector, NexlaModel, OrgRef, Owner, PageMeta
from .errors import ErrorDocument, error_document
from .flows import FlowElement, FlowMetrics, FlowNode, FlowResponse, FlowTree
from .metrics import (
    DailyMetric,
    DailyMetrics,
    FlowLog,
    LogEntry,
    LogsPage,
    RunSummaryMetrics,
    RunSummaryPage,
    RunSummaryRow,
    normalise_level,
)
from .probe import Probe, ProbeVerdict, probe_verdict
from .runs import RunPage, RunSummary, combine_flow_runs, epoch_ms, parse_run_page, to_datetime
from .resources import Credential, DataSetBrief, DataSinkSimplified, Destination, Nexset, RunId, Source, Transform

__all__ = [
    "Accessor",
    "AsyncTask",
    "AuditEntry",
    "Connector",
    "Credential",
    "DailyMetric",
    "DailyMetrics",
    "DataSetBrief",
    "DataSinkSimplified",
    "Destination",
    "ErrorDocument",
    "FlowElement",
    "FlowLog",
    "FlowMetrics",
    "FlowNode",
    "FlowResponse",
    "FlowTree",
    "LogEntry",
    "LogsPage",
    "Nexset",
    "NexlaModel",
    "Notification",
    "Org",
    "OrgAccessor",
    "OrgMembership",
    "OrgRef",
    "Owner",
    "PageMeta",
    "Probe",
    "ProbeVerdict",
    "Project",
    "ProjectDataFlow",
    "RunId",
    "RunPage",
    "RunSummary",
    "RunSummaryMetrics",
    "RunSummaryPage",
    "RunSummaryRow",
    "Source",
    "Team",
    "TeamAccessor",
    "TeamMember",
    "Transform",
    "User",
    "UserAccessor",
    "combine_flow_runs",
    "epoch_ms",
    "error_document",
    "normalise_level",
    "parse_accessors",
    "parse_run_page",
    "probe_verdict",
    "to_datetime",
]
