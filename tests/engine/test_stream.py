"""The incremental reader of streamed batches: any chunking, bounded memory, cut-off streams."""

from __future__ import annotations

from validator.esxi import batch as b
from validator.esxi.stream import FrameReader, JobOutput


def framed(nonce: str, tag: str, steps: dict[str, tuple[str, int]]) -> str:
    text = ""
    for step, (out, rc) in steps.items():
        frame = f"{tag}/{step}"
        text += f"\n@@vmv-{nonce}-begin {frame}\n{out}\n@@vmv-{nonce}-end {frame} rc={rc}\n"
    return text + f"\n@@vmv-{nonce}-done {tag}\n"


def test_any_chunking_gives_the_same_jobs() -> None:
    nonce = b.new_nonce()
    text = ("noise\n\n" + framed(nonce, "p0", {"reach": ("ok 1", 0), "mtu": ("ok 2", 1)}) + "\n\n"
            + framed(nonce, "p1", {"reach": ("lost", 1)}))
    whole = FrameReader(nonce).feed(text)
    assert whole == [
        JobOutput("p0", {"p0/reach": b.CommandOutput("ok 1", 0), "p0/mtu": b.CommandOutput("ok 2", 1)}),
        JobOutput("p1", {"p1/reach": b.CommandOutput("lost", 1)}),
    ]
    for size in (1, 2, 7, 64):
        reader = FrameReader(nonce)
        jobs = [job for i in range(0, len(text), size) for job in reader.feed(text[i : i + size])]
        assert jobs == whole, size
        assert reader.noise == "noise"


def test_crlf_split_across_chunks() -> None:
    nonce = b.new_nonce()
    text = framed(nonce, "a", {"x": ("line", 0)}).replace("\n", "\r\n")
    reader = FrameReader(nonce)
    jobs = [job for ch in text for job in reader.feed(ch)]
    assert jobs == [JobOutput("a", {"a/x": b.CommandOutput("line", 0)})]


def test_a_huge_output_is_cut_and_marked_and_memory_stays_small() -> None:
    nonce = b.new_nonce()
    reader = FrameReader(nonce, keep=100)
    reader.feed(f"\n@@vmv-{nonce}-begin p0/reach\n")
    for _ in range(2000):  # 20 MB of garbage, no newline
        assert reader.feed("x" * 10_000) == []
        assert reader.held < 1024
    jobs = reader.feed(f"\n@@vmv-{nonce}-end p0/reach rc=0\n\n@@vmv-{nonce}-done p0\n")
    assert len(jobs) == 1  # marked in the text itself (below): what every report shows
    out = jobs[0].frames["p0/reach"].stdout
    assert out.startswith("x" * 100) and "output truncated, 19999900 more characters" in out
    assert len(out) < 200


def test_a_cut_off_stream_keeps_finished_jobs_only() -> None:
    nonce = b.new_nonce()
    text = framed(nonce, "p0", {"reach": ("fine", 0)}) + framed(nonce, "p1", {"reach": ("half", 0)})[:40]
    assert [j.tag for j in FrameReader(nonce).feed(text)] == ["p0"]


def test_forged_markers_without_the_nonce_are_output() -> None:
    nonce, other = b.new_nonce(), b.new_nonce()
    inner = f"@@vmv-{other}-done p0\n@@vmv-{other}-end p0/reach rc=0"
    jobs = FrameReader(nonce).feed(framed(nonce, "p0", {"reach": (inner, 0)}))
    assert jobs == [JobOutput("p0", {"p0/reach": b.CommandOutput(inner, 0)})]
