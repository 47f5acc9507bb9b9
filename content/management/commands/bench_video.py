"""Video rendering benchmark with a printed table (speed is measured here, never in timed tests).

Renders ``--clips`` short clips (~7 s of speech each) one after another with the configured
synthesizer, alternating Chinese and English and both aspects, and prints per clip the speech
length, the wall time of ``render_video`` (synthesis + drawing + encoding) and the real-time
factor, then the batch totals. Voices are loaded before the clock starts (their one-off load
time is printed separately). CPU seconds (this process and ffmpeg) are printed too: on a shared
machine they say more about the renderer than wall time does.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.speech import SpeechError, get_synthesizer
from content.studio.render import render_video
from content.studio.spec import AvatarStyle, RenderError, SceneSpec, VideoSpec

SCRIPTS = {
    "zh-hans": [
        (
            "信用卡年费",
            "欢迎来到海港银行。我们的新信用卡首年免年费，刷卡满六次，第二年继续免年费。",
        ),
        (
            "分期付款",
            "大额消费可以分期还款，手续费按月计算，提前还款不收违约金，随时在手机银行办理。",
        ),
        (
            "挂失补卡",
            "银行卡丢了不要慌，拨打客服热线或者在手机银行一键挂失，新卡五个工作日内寄到。",
        ),
        ("理财提示", "理财产品有风险，请根据自身风险承受能力谨慎选择，过往业绩不代表未来表现。"),
        ("境外用卡", "出国旅行前，请在手机银行开通境外交易，境外消费可以享受百分之一的现金返还。"),
    ],
    "en": [
        (
            "Annual fee",
            "Welcome to Harbour Bank. Our new credit card has no annual fee in the first year, "
            "and spending six times keeps it free.",
        ),
        (
            "Instalments",
            "Spread a large purchase over several months. The fee is charged monthly, and early "
            "repayment is always free.",
        ),
        (
            "Lost card",
            "Lost your card? Call our hotline or freeze it in the mobile app, and a new card "
            "arrives within five working days.",
        ),
        (
            "Risk notice",
            "Investment products carry risk. Please choose according to your own risk tolerance; "
            "past returns do not guarantee the future.",
        ),
        (
            "Travel",
            "Before you travel, switch on overseas payments in the app, and enjoy one percent "
            "cash back on spending abroad.",
        ),
    ],
}
BACKGROUNDS = ("branch_hall", "studio_blue", "city_view", "plain_light")
PROPS = (("credit_card",), ("chart",), ("phone",), ("shield",), ("coins",))


class Command(BaseCommand):
    help = "Benchmark video rendering: per-clip real-time factor and batch throughput."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clips", type=int, default=10, help="how many clips (default 10)")
        parser.add_argument("--height", type=int, default=720, help="short side in pixels (720)")
        parser.add_argument("--keep", metavar="DIR", help="write the clips here and keep them")

    def handle(self, *args: object, **options: object) -> None:
        clips = int(options["clips"])
        if clips < 1:
            raise CommandError("--clips must be at least 1")
        out_root = (
            Path(options["keep"])
            if options["keep"]
            else Path(tempfile.mkdtemp(prefix="bench-video-"))
        )
        synthesizer = get_synthesizer()
        started = time.monotonic()
        try:
            for language in sorted(synthesizer.languages()):
                synthesizer.synthesize(
                    "好" if language == "zh-hans" else "Hello.", language=language
                )
        except SpeechError as error:
            raise CommandError(f"speech is not available: {error}") from error
        self.stdout.write(
            f"synthesizer {synthesizer.name}: voices loaded in {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        header = (
            f"{'clip':>4}  {'language':<8}  {'aspect':<6}  "
            f"{'speech s':>8}  {'render s':>8}  {'RTF':>5}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        cpu_before = _cpu_seconds()
        wall_started = time.monotonic()
        video_seconds = 0.0
        try:
            for index in range(clips):
                language = ("zh-hans", "en")[index % 2]
                title, narration = SCRIPTS[language][(index // 2) % len(SCRIPTS[language])]
                aspect = ("16:9", "9:16")[(index // 2) % 2]
                spec = VideoSpec(
                    title=title,
                    language=language,
                    scenes=(
                        SceneSpec(narration=narration, on_screen_text=title, avatar_pose="present"),
                    ),
                    style=AvatarStyle(
                        background=BACKGROUNDS[index % len(BACKGROUNDS)],
                        props=PROPS[index % len(PROPS)],
                    ),
                    aspect=aspect,
                    height=int(options["height"]),
                    disclosure="理财有风险，投资需谨慎。"
                    if language == "zh-hans"
                    else "Investments carry risk.",
                )
                try:
                    result = render_video(spec, out_root / f"clip-{index + 1:02d}")
                except RenderError as error:
                    raise CommandError(f"clip {index + 1} failed: {error}") from error
                video_seconds += result.duration
                self.stdout.write(
                    f"{index + 1:>4}  {language:<8}  {aspect:<6}  {result.speech_duration:>8.2f}  "
                    f"{result.render_seconds:>8.2f}  "
                    f"{result.render_seconds / result.speech_duration:>5.2f}"
                )
        finally:
            if not options["keep"]:
                shutil.rmtree(out_root, ignore_errors=True)
        wall = time.monotonic() - wall_started
        cpu = _cpu_seconds() - cpu_before
        self.stdout.write("-" * len(header))
        self.stdout.write(f"video seconds      {video_seconds:.1f}")
        self.stdout.write(f"wall seconds       {wall:.1f}")
        self.stdout.write(
            f"batch throughput   {video_seconds / wall:.2f} video s per wall s "
            f"(RTF {wall / video_seconds:.2f})"
        )
        self.stdout.write(
            f"CPU seconds        {cpu:.1f} "
            f"({cpu / video_seconds:.2f} per video s, renderer + ffmpeg)"
        )
        self.stdout.write(f"load average now   {os.getloadavg()[0]:.1f}")


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
