"""PII masking benchmark: an ordinary 2 KB message and adversarial inputs (speed is measured
here, never in timed tests).

Masking runs on every customer turn, so it must stay well under a millisecond for a normal
message and linear in the length of anything an attacker can type: the adversarial rows
double the input and show the time roughly doubling, never quadrupling.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.masking import luhn_valid, mask_pii


def _card(partial: str) -> str:
    return next(partial + d for d in "0123456789" if luhn_valid(partial + d))


def _ordinary_message() -> str:
    card = _card("622202123456789012")
    personal = (
        f"我的卡号是{card}，身份证 11010519491231002X，手机号 13812345678，"
        "邮箱 li.lei@example.com。"
    )
    ordinary = (
        "上个月我在商场消费了 ¥12,880.00，想分 12 期，请问费率是多少？2026-11-22 前还款有优惠吗？"
        "I was charged an annual fee of RMB 300 on 2026-10-01 and would like a refund. "
    )
    return (personal + ordinary * 40)[:2048]


# Each builds an input of about n characters that makes the masker examine as many
# candidate numbers as it can.
ADVERSARIAL = {
    "single digits, spaced": lambda n: "4 1 " * (n // 4),
    "mobile-shaped digits": lambda n: "1 3 " * (n // 4),
    "4-digit groups": lambda n: "4111 " * (n // 5),
    "dates and times": lambda n: "2026.11.22 10:30:15 " * (n // 20),
    "separators only": lambda n: "1" + " - " * (n // 3) + "1",
    "keywords and digits": lambda n: "卡号 1234 验证码 5678 " * (n // 18),
}


def _per_call(text: str, runs: int) -> float:
    # Best of three batches of CPU time: steadier than wall time on a shared machine.
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(runs):
            mask_pii(text)
        best = min(best, (time.process_time() - started) / runs)
    return best


class Command(BaseCommand):
    help = "Benchmark PII masking on an ordinary message and on long adversarial inputs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=50_000, help="adversarial input size")

    def handle(self, *args: object, size: int, **options: object) -> None:
        if size < 100:
            raise CommandError("--size must be at least 100 characters")
        message = _ordinary_message()
        ordinary = _per_call(message, 200)
        self.stdout.write(
            f"ordinary 2 KB message: {ordinary * 1000:.3f} ms per message "
            f"(target < 1 ms), {len(mask_pii(message).findings)} findings"
        )
        self.stdout.write(f"{'adversarial input':<24}{size:>10} chars{2 * size:>10} chars  ratio")
        for name, build in ADVERSARIAL.items():
            small = _per_call(build(size), 1)
            large = _per_call(build(2 * size), 1)
            self.stdout.write(
                f"{name:<24}{small * 1000:>13.1f} ms{large * 1000:>13.1f} ms"
                f"  {large / max(small, 1e-9):.1f}x"
            )
