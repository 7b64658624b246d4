from collections.abc import Iterator
from datetime import UTC, datetime

import marshmallow as ma
import pytest
from sqlalchemy import DateTime, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from conveyor_web.api import list_args_schema, order_by, paginate


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "pagination_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = create_engine(database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        now = datetime.now(UTC).replace(tzinfo=None)
        session.add_all(Item(id=i, name=f"n{i % 3}", created_at=now) for i in range(1, 26))
        session.commit()
        yield session
    Base.metadata.drop_all(engine)
    engine.dispose()


Args = list_args_schema(["id", "name", "created_at"])


def test_defaults() -> None:
    assert Args().load({}) == {"page": 1, "per_page": 20, "sort": "id"}


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"per_page": "0"}, {"per_page": "101"}, {"sort": "password"}, {"page": "x"}],
)
def test_bad_list_args_are_refused(query: dict[str, str]) -> None:
    with pytest.raises(ma.ValidationError):
        Args().load(query)


def test_last_page_is_partial(session: Session) -> None:
    page = paginate(session, select(Item).order_by(*order_by(Item, "id")), 3, 10)
    assert [i.id for i in page["items"]] == [21, 22, 23, 24, 25]
    assert (page["total"], page["pages"]) == (25, 3)


def test_page_past_the_end_is_empty(session: Session) -> None:
    page = paginate(session, select(Item).order_by(*order_by(Item, "id")), 9, 10)
    assert page["items"] == []
    assert page["total"] == 25


def test_descending_sort_breaks_ties_by_id(session: Session) -> None:
    page = paginate(session, select(Item).order_by(*order_by(Item, "-name")), 1, 4)
    expected = [("n2", 23), ("n2", 20), ("n2", 17), ("n2", 14)]
    assert [(i.name, i.id) for i in page["items"]] == expected
