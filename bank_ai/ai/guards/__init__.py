"""Output guard and prompt-injection defence for the bank's AI answers (zh / en).

Pure Python so it can run anywhere in the pipeline and be tested without Django.

* :func:`check_output` runs on every model answer before a client sees it: it blocks canary
  and internal-marker leaks and promises of returns or principal, appends the regulator's
  risk disclosure to wealth answers, reduces markdown links and images to their label and
  defangs script URLs. Its text stays plain (no HTML entities): renderers escape it.
* :func:`detect_injection` scores a user message for direct prompt injection.
* :func:`neutralise_passage` removes planted instructions from a retrieved knowledge
  article (indirect injection); :func:`wrap_untrusted` fences it as data for the prompt.
* :func:`make_canary` makes the token embedded in system prompts to detect their leaks.

The injection rules deliberately separate instructions addressed to the *assistant*
("ignore all previous instructions", "忽略之前的所有指令") from a customer taking back their own
words ("please ignore my previous question", "忽略刚才的问题").
"""

from bank_ai.ai.guards.injection import detect_injection
from bank_ai.ai.guards.output import RISK_DISCLOSURE, check_output
from bank_ai.ai.guards.passages import (
    UNTRUSTED_NOTE,
    make_canary,
    neutralise_passage,
    wrap_untrusted,
)
from bank_ai.ai.guards.types import GuardDecision, GuardResult, InjectionVerdict

__all__ = [
    "RISK_DISCLOSURE",
    "UNTRUSTED_NOTE",
    "GuardDecision",
    "GuardResult",
    "InjectionVerdict",
    "check_output",
    "detect_injection",
    "make_canary",
    "neutralise_passage",
    "wrap_untrusted",
]
