"""Generated queries and mutations (hypothesis-graphql) never make the graph answer 5xx."""

from __future__ import annotations

from typing import Any

import graphql
from graph_api.printschema import sdl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

SCHEMA = sdl()

# A job payload is an object: ``{"duration_seconds": n}`` (valid or not), or a string.
PAYLOADS = st.one_of(
    st.integers(min_value=-5, max_value=5).map(
        lambda n: graphql.ObjectValueNode(
            fields=(
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value="duration_seconds"), value=nodes.Int(n)
                ),
            )
        )
    ),
    st.text(max_size=5).map(nodes.String),
)
SCALARS = {"JSON": PAYLOADS}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    document=st.one_of(
        queries(SCHEMA, custom_scalars=SCALARS), mutations(SCHEMA, custom_scalars=SCALARS)
    )
)
def test_generated_operations_never_fail_with_5xx(
    client: Any, alice: dict[str, Any], document: str
) -> None:
    response = client.post(
        "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {alice['token']}"}
    )
    assert response.status_code < 500, document
    body = response.get_json()
    assert "Traceback" not in response.get_data(as_text=True)
    for error in body.get("errors") or ():
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", (document, error)
