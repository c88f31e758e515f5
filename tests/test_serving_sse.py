import pytest

from collectors.serving.sse import SSEParser


def feed_all(reads):
    p = SSEParser()
    out = []
    for r in reads:
        out.extend(p.feed(r))
    return out + p.close()


def test_events_split_across_reads_at_every_byte():
    stream = b'data: {"a":1}\n\n: ping\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'
    whole = feed_all([stream])
    assert whole == [b'{"a":1}', b'{"b":2}', b"[DONE]"]
    for cut in range(1, len(stream)):
        assert feed_all([stream[:cut], stream[cut:]]) == whole, cut
    assert feed_all([bytes([c]) for c in stream]) == whole


def test_crlf_line_ends_and_cr_split_between_reads():
    stream = b'data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n'
    for cut in range(1, len(stream)):
        assert feed_all([stream[:cut], stream[cut:]]) == [b'{"a":1}', b"[DONE]"], cut


def test_multiline_data_fields_and_other_fields():
    stream = b"event: message\nid: 7\ndata: line1\ndata:line2\n\nretry: 10\n\n"
    assert feed_all([stream]) == [b"line1\nline2"]


def test_trailing_event_without_blank_line_is_accepted():
    assert feed_all([b'data: {"x":1}\n\ndata: {"usage":1}']) == [b'{"x":1}', b'{"usage":1}']
    assert feed_all([b'data: {"x":1}\n']) == [b'{"x":1}']


@pytest.mark.parametrize("n", [1, 100, 5000])
def test_many_events_in_one_read(n):
    stream = b"".join(b'data: {"i":%d}\n\n' % i for i in range(n))
    out = feed_all([stream])
    assert len(out) == n and out[-1] == b'{"i":%d}' % (n - 1)
