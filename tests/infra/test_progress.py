"""Progress bars write whole lines, now and then, into a log; nothing for a short phase."""

import io
import time

from vidpose.infra import progress


def test_a_log_gets_occasional_plain_lines_and_the_final_state():
    out = io.StringIO()
    with progress.progress_bar(total=6, desc="work", file=out, mininterval=0.1, delay=0.1) as bar:
        for _ in range(6):
            time.sleep(0.05)
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and 1 <= len(lines) < 6
    assert all(line.startswith("work:") for line in lines) and "6/6" in lines[-1]


def test_a_postfix_set_without_refresh_writes_no_line_of_its_own():
    out = io.StringIO()
    with progress.progress_bar(total=50, desc="steps", file=out, mininterval=60, delay=0) as bar:
        for step in range(50):
            bar.update(1)
            bar.set_postfix(loss=f"{1 / (step + 1):.3f}", refresh=False)
    lines = out.getvalue().splitlines()
    assert len(lines) <= 3 and "loss=0.020" in lines[-1]  # the start, maybe one more, the end


def test_a_short_phase_writes_nothing_to_a_log():
    out = io.StringIO()
    with progress.progress_bar(total=5, desc="quick", file=out, leave=False) as bar:
        bar.update(5)
    assert out.getvalue() == ""


def test_a_terminal_gets_tqdms_own_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    with progress.progress_bar(total=2, desc="tty", file=out) as bar:
        bar.update(2)
    assert "\r" in out.getvalue()
