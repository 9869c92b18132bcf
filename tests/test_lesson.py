"""The lesson's words about the tutorial's claims, from comparisons made by hand."""

from fibdash.analysis.lesson import conclusion
from fibdash.analysis.study import compare
from tests.test_study import INTERVAL_ONLY, RNN, TEST_ONLY, hand_made

THIS_RUN = {"rnn": 2e-5, "attention": 1e-5}


def test_the_conclusion_is_confirmed_only_where_the_test_and_the_interval_agree():
    clear = conclusion(THIS_RUN, compare(hand_made(RNN, RNN / 2)), 10)
    assert clear.endswith("so attention does lower the test MSE here.")
    assert "median ratio 0.50 (95% CI 0.5 to 0.5), p = 0.002" in clear
    for weak in (TEST_ONLY, INTERVAL_ONLY):
        sentence = conclusion(THIS_RUN, compare(hand_made(RNN, RNN * weak)), 10)
        assert sentence.endswith("weak evidence for it: the paired test and the interval disagree.")
    worse = conclusion(THIS_RUN, compare(hand_made(RNN, RNN * 2)), 10)  # clear, but the other way
    assert worse.endswith("so one run cannot settle it: the seeds do not confirm it.")
