"""Docs recommendations for a flow and a nexset against the sandbox, including refusals."""

from __future__ import annotations

import pytest

from nexla_ops.errors import AuthorizationError, NotFoundError
from nexla_ops.operations.ai_docs import recommend_docs
from tests.helpers.monitor import build_flow, client_for


async def test_flow_and_nexset_recommendations(sandbox):
    with sandbox.client() as api:
        flow = build_flow(sandbox, api)
    async with client_for(sandbox) as client:
        for_flow = await recommend_docs(client, "flows", flow.flow_id)
        for_nexset = await recommend_docs(client, "nexset", flow.nexset_id)
    assert for_flow.resource_type == "flows" and for_flow.status == "success"
    assert "orders-parquet" in for_flow.recommendation
    assert for_nexset.resource_type == "data_sets" and for_nexset.resource_id == flow.nexset_id
    assert "derived from nexset" in for_nexset.recommendation and "sku" in for_nexset.recommendation


async def test_refusals(sandbox):
    with sandbox.client() as api:
        flow = build_flow(sandbox, api)
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="data_sinks.*no docs recommendation"):
            await recommend_docs(client, "sink", flow.sink_id)
        with pytest.raises(ValueError, match="resource_id"):
            await recommend_docs(client, "flows", 0)
        with pytest.raises(NotFoundError):
            await recommend_docs(client, "data_sets", 999999)
    async with client_for(sandbox, "outsider") as outsider:
        with pytest.raises((AuthorizationError, NotFoundError)):
            await recommend_docs(outsider, "flows", flow.flow_id)
