"""Why two training runs part: a lockstep replay of both frameworks, the step where they part, and
the first discrete event of that step (``replay``); the events (``events``), the smooth growth rate
where there is none (``growth``), and the record in words (``text``).

    >>> from harness.forensics import explain_plans, one_line
    >>> one_line(explain_plans(plan, plan, "keras"))
    'parted at iteration 600: ReLU flip at Relu1 — ...'
"""
from harness.forensics.replay import explain_plans
from harness.forensics.text import details, one_line

__all__ = ["details", "explain_plans", "one_line"]
