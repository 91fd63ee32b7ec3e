"""Typed pydantic v2 models of Nexla API objects.

Unknown fields are kept (``extra="allow"``); missing optional fields are tolerated; the fields
the API contract (``nexla-api-contract.md`` §4) marks required are required, so a malformed
reply fails loudly instead of silently producing half an object.
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
from .flows import FlowMetrics, FlowNode, FlowResponse, FlowTree
from .metrics import DailyMetric, DailyMetrics, FlowLog, LogEntry, LogsPage, RunSummaryMetrics, RunSummaryPage, RunSummaryRow
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
    "Project",
    "ProjectDataFlow",
    "RunId",
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
    "parse_accessors",
]
