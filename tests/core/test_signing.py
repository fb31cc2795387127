"""Signed links: one purpose's token is refused by another's, a tampered one by all;
without a configured key, one random key serves the process (with a warning)."""

from __future__ import annotations

import logging

import pytest
from itsdangerous import BadSignature

from accord.signing import link_serializer


def test_a_token_serves_its_purpose_only(kernel):
    survey = link_serializer(kernel, "acme.survey")
    token = survey.dumps(42)
    assert survey.loads(token) == 42
    with pytest.raises(BadSignature):
        link_serializer(kernel, "acme.unsubscribe").loads(token)
    payload, signature = token.rsplit(".", 1)
    with pytest.raises(BadSignature):
        survey.loads(f"{payload}.{'A' * len(signature)}")
    with pytest.raises(BadSignature):
        survey.loads(f"{survey.dumps(43).rsplit('.', 1)[0]}.{signature}")


def test_without_a_key_one_random_key_serves_the_process(make_kernel, caplog):
    kernel = make_kernel(secret_key=None)
    with caplog.at_level(logging.WARNING, logger="accord.signing"):
        token = link_serializer(kernel, "acme.survey").dumps(7)
        assert link_serializer(kernel, "acme.survey").loads(token) == 7
    assert [r.getMessage() for r in caplog.records] == [
        "no secret_key is configured: signed links will not survive a restart ('accord "
        "init' writes one into accord.toml)"]
    other = make_kernel(secret_key=None)  # another process, another key
    with pytest.raises(BadSignature):
        link_serializer(other, "acme.survey").loads(token)
