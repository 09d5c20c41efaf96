"""Followers/following lookups against the emulator: pages, tokens, the iterators, checks
made before any request, scopes and unknown users. Every list is compared with the
emulator's own state (its follows, oldest first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, List

import pytest

import xfollow
from conftest import (
    ALICE,
    BOB,
    BOB_OAUTH2_READONLY,
    DAVE,
    ERIN,
    XDEVELOPERS,
    alice_client,
)
from support.emulator import DEMO_WORLD, Emulator
from xfollow import User, UserPage

FANS = 23  # with bob and erin: 25 followers of alice


def _followers_in_state(emu: Emulator, user: str) -> List[str]:
    """Newest first, as the API lists them."""
    return [f["source"] for f in reversed(emu.state()["follows"]) if f["target"] == user]


def _following_in_state(emu: Emulator, user: str) -> List[str]:
    return [f["target"] for f in reversed(emu.state()["follows"]) if f["source"] == user]


@pytest.fixture(scope="module")
def crowd(tmp_path_factory) -> Iterator[Emulator]:
    """An emulator whose alice has 25 followers."""
    world = json.loads(DEMO_WORLD.read_text())
    for i in range(1, FANS + 1):
        uid = f"16000000000000{i:05d}"
        world["users"].append({"id": uid, "username": f"fan{i}", "name": f"Fan {i}",
                               "protected": False, "suspended": False})
        world["follows"].append({"source": uid, "target": ALICE})
    path: Path = tmp_path_factory.mktemp("world") / "world.json"
    path.write_text(json.dumps(world))
    with Emulator(["--config", str(path)]) as emu:
        yield emu


@pytest.fixture(params=["oauth1", "oauth2"])
def crowd_client(request, crowd: Emulator) -> Iterator[xfollow.Client]:
    crowd.reset()
    with alice_client(crowd.base_url, auth=request.param) as c:
        yield c


def _ids(page: UserPage) -> List[str]:
    return [u.id for u in page.users]


@pytest.mark.parametrize("which", ["alice_oauth1", "alice_oauth2"])
def test_demo_world(request, emulator, which):
    client = request.getfixturevalue(which)
    page = client.followers()
    assert isinstance(page, UserPage)
    assert page.users == (User(ERIN, "erin", "Erin"), User(BOB, "bob", "Bob"))
    assert _ids(page) == _followers_in_state(emulator, ALICE) == [ERIN, BOB]
    assert page.result_count == len(page) == 2
    assert page.next_token is None and page.previous_token is None
    assert page.rate_limit.endpoint is not None and page.rate_limit.endpoint.limit == 300
    assert page.users[0].rate_limit == page.rate_limit
    assert [u.username for u in page] == ["erin", "bob"]
    assert client.followers(ALICE) == page
    assert client.followers(int(ALICE)).users == page.users
    assert client.followers(page.users[1]).users == ()  # a User is accepted as an id

    empty = client.following()
    assert empty.users == () and empty.result_count == 0 and empty.next_token is None
    assert _ids(client.following(BOB)) == _following_in_state(emulator, BOB) == [ALICE]


def test_following_after_follows(emulator, alice_oauth1):
    for target in (BOB, XDEVELOPERS, ERIN):
        alice_oauth1.follow(target)
    first = alice_oauth1.following(max_results=2)
    assert _ids(first) == [ERIN, XDEVELOPERS]
    assert first.next_token is not None and len(first.next_token) == 16
    second = alice_oauth1.following(max_results=2, pagination_token=first.next_token)
    assert _ids(second) == [BOB]
    assert second.next_token is None and second.previous_token is not None
    assert [u.id for u in alice_oauth1.iter_following(page_size=1)] == \
        _following_in_state(emulator, ALICE) == [ERIN, XDEVELOPERS, BOB]
    alice_oauth1.unfollow(XDEVELOPERS)
    assert _ids(alice_oauth1.following()) == _following_in_state(emulator, ALICE) == [ERIN, BOB]
    assert _ids(alice_oauth1.followers(ERIN)) == [ALICE]


def test_pages_equal_the_emulator_state(crowd, crowd_client):
    expected = _followers_in_state(crowd, ALICE)
    assert len(expected) == FANS + 2
    got: List[str] = []
    sizes = []
    token = None
    while True:
        page = crowd_client.followers(ALICE, max_results=7, pagination_token=token)
        assert (page.previous_token is not None) == (token is not None)
        sizes.append(len(page))
        got += _ids(page)
        if page.next_token is None:
            break
        token = page.next_token
    assert sizes == [7, 7, 7, 4]
    assert got == expected

    assert [u.id for u in crowd_client.iter_followers(page_size=5)] == expected
    assert [u.id for u in crowd_client.iter_followers()] == expected  # one page of 1000
    assert [u.id for u in crowd_client.iter_followers(ALICE, page_size=5, limit=12)] == expected[:12]
    assert [u.id for u in crowd_client.iter_followers(limit=1000)] == expected
    assert list(crowd_client.iter_followers(limit=0)) == []
    assert len(crowd_client.followers().users) == 25  # the API's default page is 100
    assert _ids(crowd_client.following(expected[0])) == [ALICE]


def test_iterator_is_lazy_and_raises_where_it_fails(crowd, crowd_client):
    expected = _followers_in_state(crowd, ALICE)
    it = crowd_client.iter_followers(page_size=10)
    assert [next(it).id for _ in range(10)] == expected[:10]
    crowd.fault("GET /2/users/*/followers", "status", status=403)
    with pytest.raises(xfollow.Forbidden) as e:
        next(it)
    assert e.value.http_status == 403
    with pytest.raises(StopIteration):
        next(it)


def test_arguments_checked_before_any_request(emulator, alice_oauth1):
    before = emulator.connections()
    for kwargs, msg in [
        ({"max_results": 0}, "max_results must be between 1 and 1000 (got 0)"),
        ({"max_results": 1001}, "max_results must be between 1 and 1000 (got 1001)"),
        ({"max_results": 2**40}, f"max_results must be between 1 and 1000 (got {2**40})"),
        ({"pagination_token": ""},
         "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -"),
        ({"pagination_token": "a b"},
         "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -"),
    ]:
        for call in (alice_oauth1.followers, alice_oauth1.following):
            with pytest.raises(xfollow.InvalidArgument) as e:
                call(**kwargs)
            assert str(e.value) == msg
            assert e.value.may_have_reached_server is False
    with pytest.raises(xfollow.InvalidArgument) as e:
        alice_oauth1.followers("abc")
    assert str(e.value) == "user id must be a user id of 1 to 19 digits"
    with pytest.raises(xfollow.InvalidArgument) as e:
        list(alice_oauth1.iter_followers(page_size=0))
    assert str(e.value) == "page_size must be between 1 and 1000 (got 0)"
    with pytest.raises(xfollow.InvalidArgument):
        list(alice_oauth1.iter_followers(page_size=1001))
    with pytest.raises(TypeError):
        alice_oauth1.followers(max_results="5")
    with pytest.raises(TypeError):
        alice_oauth1.followers(max_results=True)
    with pytest.raises(TypeError):
        alice_oauth1.followers(pagination_token=5)
    with pytest.raises(ValueError):
        alice_oauth1.iter_followers(limit=-1)
    assert emulator.connections() - before == 1  # only this admin request (urllib does not reuse)

    # The bounds themselves are accepted.
    assert len(alice_oauth1.followers(max_results=1)) == 1
    assert len(alice_oauth1.followers(max_results=1000)) == 2


def test_server_refusals(emulator, alice_oauth2):
    with pytest.raises(xfollow.ApiError) as e:
        alice_oauth2.followers(pagination_token="WWWWWWWWWWWWWZZZ")
    assert e.value.http_status == 400
    with pytest.raises(xfollow.NotFound) as nf:
        alice_oauth2.followers("1")
    assert str(nf.value) == "HTTP 200 Not Found Error: Could not find user with id: [1]."
    assert nf.value.problem_type == "resource-not-found"
    with pytest.raises(xfollow.NotFound):
        alice_oauth2.following("1")
    with pytest.raises(xfollow.XError) as s:
        alice_oauth2.followers(DAVE)
    assert DAVE in str(s.value)
    assert alice_oauth2.followers(XDEVELOPERS).users == ()


def test_oauth2_without_follows_read(emulator):
    with xfollow.Client.oauth2(BOB_OAUTH2_READONLY, base_url=emulator.base_url) as c:
        for call in (lambda: c.followers(ALICE), lambda: c.following(), lambda: list(c.iter_followers())):
            with pytest.raises(xfollow.Forbidden) as e:
                call()
            assert e.value.http_status == 403
            assert str(e.value).startswith("HTTP 403 ")
        assert c.me().id == BOB  # users.read alone still reads the profile
