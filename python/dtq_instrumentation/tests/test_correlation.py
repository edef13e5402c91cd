import re

from dtq_instrumentation.correlation import (
    child_trace_context,
    correlation_id_from,
    is_valid_correlation_id,
    parse_traceparent,
)

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_a_valid_client_id_is_kept_as_it_is():
    got = correlation_id_from("ULTIMATE-SUCCESS-123")
    assert (got.id, got.generated, got.rejected) == ("ULTIMATE-SUCCESS-123", False, False)


def test_an_id_with_characters_outside_the_rule_is_replaced_and_marked_rejected():
    for bad in ["has space", "semi;colon", "x" * 129, "naïve", "a\nb"]:
        got = correlation_id_from(bad)
        assert HEX32.fullmatch(got.id) and got.generated and got.rejected, bad


def test_a_missing_id_is_generated_without_being_called_rejected():
    got = correlation_id_from(None)
    assert HEX32.fullmatch(got.id) and got.generated and not got.rejected


def test_the_boundaries_of_the_rule():
    assert is_valid_correlation_id("a" * 128)
    assert is_valid_correlation_id("A.b_c:d-9")
    assert not is_valid_correlation_id("")
    assert not is_valid_correlation_id(123)


def test_a_traceparent_is_continued_with_a_new_span():
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ctx = child_trace_context(parent)
    assert ctx.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert ctx.parent_span_id == "00f067aa0ba902b7"
    assert ctx.span_id != "00f067aa0ba902b7" and len(ctx.span_id) == 16
    assert ctx.traceparent() == f"00-{ctx.trace_id}-{ctx.span_id}-01"


def test_an_invalid_traceparent_starts_a_new_trace():
    for bad in ["", "garbage", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"]:
        assert parse_traceparent(bad) is None, bad
        ctx = child_trace_context(bad)
        assert ctx.parent_span_id is None and HEX32.fullmatch(ctx.trace_id)
