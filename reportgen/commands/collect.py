"""``reportgen collect``: run the collection stages against a machine, into one results file.

A stage is a function ``(CollectContext) -> None`` registered by name in ``STAGES``; it writes
into ``ctx.store.results`` and calls ``ctx.store.save()`` when it has something worth keeping.
Stages: ``hardware`` (always possible), and from the plan ``serving`` (launch or attach, functional
check, the matrix), ``accuracy`` and ``consistency`` (run inside the serving stage while each
variant's server is up, or attached to running servers) and ``embedding``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from collectors.auth import ApiKey, api_key_from_env, embedding_api_key, variant_api_keys
from reportgen.commands._options import api_key_option, number, recorded_argv, results_path, ssh_host_key_option
from reportgen.errors import HostError, ReportgenError
from reportgen.plan import Plan, VariantPlan, load_plan
from reportgen.ranges import Count, Port, Seconds
from reportgen.results import Invocation, ModelVariant, ResultsStore, utc_now

PASSWORD_ENV = "REPORTGEN_SSH_PASSWORD"


@dataclass
class CollectContext:
    host: object  # collectors.execution.Host
    host_label: str
    store: ResultsStore
    container: str | None = None
    timeout_s: float = 20.0
    echo: Callable[[str], None] = field(default=lambda s: click.echo(s, err=True))
    plan: Plan | None = None
    plan_path: str | None = None
    stages: list[str] = field(default_factory=list)
    resume: bool = False
    api_key: ApiKey | None = None  # --api-key-env: the servers' key unless the plan names another

    def need_plan(self, stage: str) -> Plan:
        if self.plan is None:
            raise ReportgenError(f"the {stage} stage needs a plan: --plan plan.toml (write one with 'reportgen init')")
        return self.plan


def stage_hardware(ctx: CollectContext) -> None:
    from collectors.hardware.collect import collect_environment

    env = collect_environment(ctx.host, container=ctx.container, host_label=ctx.host_label,  # type: ignore[arg-type]
                              timeout_s=ctx.timeout_s)
    old = ctx.store.results.environment
    env.telemetry = old.telemetry  # series recorded by earlier stages stay
    ctx.store.results.environment = env
    ctx.store.save()
    f = env.facts
    count = f.get("accelerator.count")
    model = f.get("accelerator.model")
    if count is not None and count.value == 0:
        ctx.echo("hardware: no accelerator found (" + (count.detail or "") + ")")
    elif count is not None and count.present:
        chips = f.get("accelerator.chips")
        ctx.echo(f"hardware: {count.value} x {model.value if model and model.present else 'unknown model'}"
                 f" ({chips.value if chips else '?'} chips)")
    missing = [k for k, v in f.items() if not v.present]
    ctx.echo(f"hardware: {len(f) - len(missing)} facts, {len(missing)} missing with a reason")


class _AccuracyWhileUp:
    """The accuracy stage, run on each variant while the serving stage has its server up."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        self.acc = ctx.need_plan("accuracy").accuracy

    def done(self, vp: VariantPlan, variant: ModelVariant) -> bool:
        have = {(a.benchmark, a.mode) for a in variant.accuracy if a.source == "measured" and a.n}
        return all((t, self.acc.mode) in have for t in self.acc.tasks)

    def run(self, vp: VariantPlan, variant: ModelVariant, base_url: str, model: str, *, api_key: str | None = None) -> None:
        from collectors.accuracy.stage import run_accuracy_stage

        data_dir = Path(self.acc.data_dir)
        if not data_dir.is_absolute() and self.ctx.plan_path:
            data_dir = Path(self.ctx.plan_path).parent / data_dir
        self.ctx.echo(f"accuracy: {vp.label}: {', '.join(self.acc.tasks)} ({self.acc.mode})")
        run_accuracy_stage(
            self.ctx.store, base_url=base_url, model=model, data_dir=data_dir, precision=vp.label,
            tasks=self.acc.tasks, mode=self.acc.mode, limit=self.acc.limit, concurrency=self.acc.concurrency,
            resume=True,  # a repeated collect adds what is missing instead of refusing
            api_key=api_key,
        )


class _ConsistencyWhileUp:
    """The consistency stage, run on each variant while the serving stage has its server up: the
    same prompts as the plan's reference card, then the batch-invariance pass at the plan's largest
    batch size. A reference that may not be compared, or a failed run, is recorded and said in one
    line; the other variants still run."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        plan = ctx.need_plan("consistency")
        self.cp = plan.consistency
        if not self.cp.reference:
            raise ReportgenError("the consistency stage needs [consistency] reference = \"ref.json\" in the plan "
                                 "(record one with 'reportgen reference record')")
        ref = Path(self.cp.reference)
        if not ref.is_absolute() and ctx.plan_path:
            ref = Path(ctx.plan_path).parent / ref
        if not ref.is_file():
            raise ReportgenError(f"{ref}: no such reference file ([consistency] reference in the plan)")
        self.reference = ref
        self.batch_size = self.cp.batch_size or max(plan.serving.batch_sizes)

    def done(self, vp: VariantPlan, variant: ModelVariant) -> bool:
        from collectors.consistency.stage import consistency_done

        return consistency_done(variant, self.reference, self.batch_size)

    def run(self, vp: VariantPlan, variant: ModelVariant, base_url: str, model: str, *, api_key: str | None = None) -> None:
        from collectors.consistency.stage import run_consistency
        from reportgen.consistency.verdict import variant_verdict

        if self.ctx.resume and self.done(vp, variant):
            return
        self.ctx.echo(f"consistency: {vp.label}: against {self.reference}")
        try:
            run_consistency(self.ctx.store, variant, reference=self.reference, base_url=base_url, model=model,
                            batch_size=self.batch_size, limit=self.cp.limit, profile=self.cp.profiles.get(vp.label),
                            overrides=self.cp.thresholds, echo=self.ctx.echo, api_key=api_key)
        except ReportgenError as e:
            self.ctx.echo(f"consistency: {vp.label}: {e}")
            return
        cv = variant_verdict(variant)
        if cv is not None:
            self.ctx.echo(f"consistency: {cv.statement_en}")


class _WhileUp:
    """Several pieces of work per variant while its server is up, in order (accuracy, consistency)."""

    def __init__(self, parts: list[_AccuracyWhileUp | _ConsistencyWhileUp]) -> None:
        self.parts = parts

    def done(self, vp: VariantPlan, variant: ModelVariant) -> bool:
        return all(p.done(vp, variant) for p in self.parts)

    def run(self, vp: VariantPlan, variant: ModelVariant, base_url: str, model: str, *, api_key: str | None = None) -> None:
        for p in self.parts:
            p.run(vp, variant, base_url, model, api_key=api_key)


def stage_serving(ctx: CollectContext) -> None:
    from collectors.hardware.telemetry import TelemetrySampler
    from collectors.serving.progress import ConsoleProgress, summary_table
    from collectors.serving.stage import run_serving_stage
    from reportgen.energy import tdp_of

    plan = ctx.need_plan("serving")
    if not plan.variants:
        raise ReportgenError(f"{ctx.plan_path}: the plan has no [[variants]] to measure")
    parts: list[_AccuracyWhileUp | _ConsistencyWhileUp] = []
    if "accuracy" in ctx.stages and plan.accuracy.enabled:
        parts.append(_AccuracyWhileUp(ctx))
    if "consistency" in ctx.stages:
        parts.append(_ConsistencyWhileUp(ctx))
    run_serving_stage(plan, ctx.store, host=ctx.host, resume=ctx.resume, progress=ConsoleProgress(),
                      sampler=TelemetrySampler(ctx.host, tdp_w=tdp_of(ctx.store.results)),  # type: ignore[arg-type]
                      while_up=_WhileUp(parts) if parts else None, api_key=ctx.api_key)
    from reportgen.validity import check_results

    results = ctx.store.results
    ctx.echo(summary_table(results.variants, check_results(results)))


def stage_accuracy(ctx: CollectContext) -> None:
    plan = ctx.need_plan("accuracy")
    if "serving" in ctx.stages or not plan.accuracy.enabled:
        return  # with serving it runs inside that stage, while each variant's server is up
    # Without the serving stage: attach to each variant's running server.
    _attached(ctx, plan, _AccuracyWhileUp(ctx))


def _attached(ctx: CollectContext, plan: Plan, work: _AccuracyWhileUp | _ConsistencyWhileUp) -> None:
    """``work`` on each variant's running server (without the serving stage: nothing is launched)."""
    from collectors.serving.server import wait_ready
    from collectors.serving.stage import resolve_model

    keys = variant_api_keys(plan, ctx.api_key)
    for vp in plan.variants:
        variant = ctx.store.results.variant(vp.label, model=vp.model, precision=vp.precision,
                                            quantization=vp.quantization)
        if ctx.resume and work.done(vp, variant):
            continue
        base_url = (vp.base_url or plan.server.base_url).rstrip("/")
        served = wait_ready(base_url, 30.0, api_key=keys[vp.label])
        model = resolve_model(vp.request_model, served, explicit=vp.served_model_name is not None)
        variant.served_model_name = model
        work.run(vp, variant, base_url, model, api_key=keys[vp.label])


def stage_consistency(ctx: CollectContext) -> None:
    plan = ctx.need_plan("consistency")
    if "serving" in ctx.stages:
        return  # with serving it runs inside that stage, while each variant's server is up
    work = _ConsistencyWhileUp(ctx)
    if not plan.variants:
        raise ReportgenError(f"{ctx.plan_path}: the plan has no [[variants]] to compare with the reference")
    _attached(ctx, plan, work)


def stage_soak(ctx: CollectContext) -> None:
    """The plan's [soak]: inside the serving stage while each server is up; without it, attached to
    each variant's running server."""
    plan = ctx.need_plan("soak")
    if "serving" in ctx.stages or not plan.soak.enabled:
        return
    from collectors.hardware.telemetry import TelemetrySampler
    from collectors.serving.progress import ConsoleSoakProgress
    from collectors.serving.server import wait_ready
    from collectors.serving.stage import NoSoakLoad, measure_soak, resolve_model, soak_settings
    from reportgen.energy import tdp_of

    keys = variant_api_keys(plan, ctx.api_key)
    for vp in plan.variants:
        variant = ctx.store.results.variant(vp.label, model=vp.model, precision=vp.precision,
                                            quantization=vp.quantization)
        if vp.cards is not None:
            variant.cards = vp.cards
        base_url = (vp.base_url or plan.server.base_url).rstrip("/")
        model = resolve_model(vp.request_model, wait_ready(base_url, 30.0, api_key=keys[vp.label]), explicit=vp.served_model_name is not None)
        variant.served_model_name = model
        try:
            settings = soak_settings(plan.soak, plan.serving, ctx.store.results, variant)
        except NoSoakLoad as e:
            ctx.echo(f"soak: {vp.label}: skipped: {e}")
            continue
        measure_soak(base_url, variant, settings, plan.serving,
                     ctx.store, model=model, tokenizer_dir=vp.tokenizer, resume=ctx.resume,
                     progress=ConsoleSoakProgress(), api_key=keys[vp.label],
                     sampler=TelemetrySampler(ctx.host, tdp_w=tdp_of(ctx.store.results)))  # type: ignore[arg-type]


def stage_embedding(ctx: CollectContext) -> None:
    from collectors.embedding.stage import run_embedding_stage

    plan = ctx.need_plan("embedding")
    for e in plan.embedding:
        run = run_embedding_stage(
            ctx.store, model=e.model, kind=e.kind, base_url=e.base_url, device=e.device, precision=e.precision,
            endpoint=e.endpoint, reference=e.reference, throughput=e.throughput, progress=ctx.echo,
            api_key=embedding_api_key(plan, e, ctx.api_key) if e.base_url else None,
        )
        status = f"error: {run.error}" if run.error else f"reference check {run.reference_check.status}"
        ctx.echo(f"embedding: {e.kind} {e.model}: {status}")


STAGES: dict[str, Callable[[CollectContext], None]] = {
    "hardware": stage_hardware,
    "serving": stage_serving,
    "accuracy": stage_accuracy,
    "consistency": stage_consistency,
    "soak": stage_soak,
    "embedding": stage_embedding,
}


def default_stages(plan: Plan | None) -> list[str]:
    """Without --only: hardware always; the others where the plan asks for them."""
    stages = ["hardware"]
    if plan is not None:
        if plan.variants:
            stages.append("serving")
        if plan.accuracy.enabled:
            stages.append("accuracy")
        if plan.consistency.reference and plan.variants:
            stages.append("consistency")
        if plan.soak.enabled and plan.variants:
            stages.append("soak")
        if plan.embedding:
            stages.append("embedding")
    return stages


def accuracy_size_line(plan: Plan, plan_path: str | None = None) -> str:
    """What an accuracy run without a limit will ask, said before it starts: the question count of
    every benchmark of the data sets, per variant."""
    from collectors.accuracy.tasks import get_task

    root = Path(plan.accuracy.data_dir)
    if not root.is_absolute() and plan_path:
        root = Path(plan_path).parent / root
    counts = []
    for name in plan.accuracy.tasks:
        try:
            task = get_task(name)
            counts.append((name, len(task.load(root, task.split))))
        except Exception:  # noqa: BLE001 - a data set that does not load is the run's error to report
            continue
    total = sum(n for _, n in counts)
    variants = len(plan.variants) or 1
    size = (f" ({', '.join(f'{name} {n}' for name, n in counts)}: {total} per variant, {total * variants} in all)"
            if counts else "")
    return (f"accuracy: no --limit: every question of {', '.join(plan.accuracy.tasks)} is asked{size}; on a 7B model "
            "that takes hours; --limit N asks N per benchmark (each benchmark prints its time left as it runs)")


def with_discovery(host: str | None, plan: Plan | None, stages: list[str], *, explicit: bool, data: Path | None,
                   ports: tuple[int, ...] = (), echo: Callable[[str], None] = lambda s: None,
                   api_key: str | None = None) -> tuple[Plan | None, list[str], list[str]]:
    """A plan without [[variants]]: look for a server (the plan's ports, then 8000) and measure what it
    serves with the plan's (or the default) matrix; accuracy too when ``data`` is given.
    Returns (plan, stages, what was skipped and why). ``explicit``: --only asked for serving or
    accuracy, so finding no server is an error rather than a skip."""
    from collectors.serving.discover import candidate_urls, discover_server

    skipped: list[str] = []
    wants_server = not explicit or "serving" in stages or "accuracy" in stages
    if wants_server and not (plan is not None and plan.variants):
        found = discover_server(candidate_urls(host, plan, ports), api_key=api_key)
        if found.base_url is None:
            if explicit:
                raise ReportgenError(f"no OpenAI-compatible server found: {found.why_not()} (name one with a plan's "
                                     "[[variants]] or --server-port)")
            skipped.append(f"serving and accuracy (no OpenAI-compatible server answered: {found.why_not()})")
        else:
            echo(f"serving: found {found.base_url} serving {', '.join(found.models)}")
            base = plan or Plan()
            variants = [VariantPlan(label="default" if len(found.models) == 1 else m, served_model_name=m,
                                    base_url=found.base_url) for m in found.models]
            plan = base.model_copy(update={"variants": variants})
            if not explicit and "serving" not in stages:
                stages = [*stages, "serving"]
    if plan is not None and plan.variants and data is not None:
        plan = plan.model_copy(update={"accuracy": plan.accuracy.model_copy(
            update={"enabled": True, "data_dir": str(data.resolve())})})
        if not explicit and "accuracy" not in stages:
            stages = [*stages, "accuracy"]
    elif plan is not None and plan.variants and not plan.accuracy.enabled and not explicit:
        skipped.append("accuracy (no --data DIR)")
    if explicit and "accuracy" in stages and plan is not None and not plan.accuracy.enabled:
        raise ReportgenError("the accuracy stage needs --data DIR (or [accuracy] enabled in a plan)")
    if not explicit and not (plan is not None and plan.embedding):
        skipped.append("embedding (no [[embedding]] in a plan)")
    return plan, [s for s in STAGES if s in stages], skipped


def parse_stages(only: str | None, plan: Plan | None = None) -> list[str]:
    if not only:
        return default_stages(plan)
    names = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ReportgenError(f"unknown stage {unknown[0]!r} in --only (known: {', '.join(STAGES)})")
    return names


@click.command("collect")
@click.option("--host", default=None, help="Machine to evaluate (default: this one). localhost/127.0.0.1 "
              "run locally unless an SSH user, port or key is given.")
@click.option("--ssh-user", default=None, help="SSH user (default: the local user name; ~/.ssh/config is not read).")
@click.option("--ssh-port", default=22, show_default=True, type=number(Port))
@click.option("--ssh-key", default=None, type=click.Path(dir_okay=False), help="Private key file.")
@click.option("--ask-pass", is_flag=True, help=f"Prompt for the SSH password (or set {PASSWORD_ENV}).")
@ssh_host_key_option
@click.option("--container", default=None, help="Docker container whose python/vllm/torch versions to record.")
@click.option("--only", default=None, help=f"Comma list of stages to run (known: {', '.join(STAGES)}).")
@click.option("--timeout", "timeout_s", default=20.0, show_default=True, type=number(Seconds),
              help="Seconds each command may run.")
@click.option("--plan", "plan_path", default=None, type=click.Path(dir_okay=False),
              help="TOML plan (reportgen init): variants, serving matrix, accuracy, embedding checks.")
@click.option("--resume", is_flag=True, help="Skip what the results file already holds (finished cells, scored questions).")
@click.option("--data", "data_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Accuracy data sets (ceval/ gsm8k/ mmlu/ bbh/, e.g. the repository's datasets/): run the "
                   "accuracy evals on each served model.")
@click.option("--limit", type=number(Count), default=None,
              help="Accuracy: ask this many questions per benchmark (stratified by subject), as eval --limit; "
                   "default: the plan's, else every question.")
@click.option("--tokenizer", type=click.Path(exists=True, file_okay=False), default=None,
              help="Local tokenizer dir for exact-length prompts, for variants the plan gives none "
                   "(default: the server's /tokenize).")
@click.option("--server-port", "server_ports", multiple=True, type=number(Port),
              help="Without [[variants]] in a plan: port to look for an OpenAI-compatible server on "
                   "(repeatable; default: the plan's, then 8000).")
@api_key_option
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Results JSON (default ./reportgen-results/<host>-<timestamp>.json; with --resume: that host's "
                   "newest); an existing file is added to.")
def collect_cmd(host: str | None, ssh_user: str | None, ssh_port: int, ssh_key: str | None, ask_pass: bool,
                known_hosts: str | None, ssh_host_key: str, container: str | None, only: str | None, timeout_s: float,
                plan_path: str | None, resume: bool, data_dir: Path | None, limit: int | None, tokenizer: str | None,
                server_ports: tuple[int, ...], api_key: ApiKey | None, output: str | None) -> None:
    """Collect facts and measurements from a machine into one results file.

    Without a plan (or one without [[variants]]) it does what it can: hardware facts, then the
    serving matrix against the OpenAI-compatible server it finds on the host (the plan's port,
    then 8000), accuracy with --data; one line says what was skipped and why.

    \b
    Examples:
      reportgen collect --host 10.0.0.5 --ssh-user root --data datasets
      reportgen init -o plan.toml && reportgen collect --plan plan.toml
      reportgen collect --only hardware
      reportgen collect --host 10.0.0.5 --ssh-user root --ssh-key ~/.ssh/id_ed25519 \\
          --container BI150_test --only hardware -o results.json
    """
    from collectors.execution import open_host

    plan = load_plan(plan_path) if plan_path else None
    if plan is not None:  # every API key variable is read now: an unset one stops the run before it starts
        variant_api_keys(plan, api_key)
        for e in plan.embedding:
            embedding_api_key(plan, e, api_key)
    stages = parse_stages(only, plan)
    password = None
    if ask_pass:
        password = click.prompt("SSH password", hide_input=True, err=True)
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    label = host or "localhost"
    path = results_path(output, host, resume=resume)
    store = ResultsStore.open(path)
    with store:  # the file's writer lock, held until the run ends
        inv = Invocation(argv=recorded_argv(), started_at=utc_now(), host=label)
        store.results.invocations.append(inv)
        try:
            h = open_host(host, user=ssh_user, port=ssh_port, key_file=ssh_key, password=password,
                          known_hosts=known_hosts, connect_timeout_s=min(timeout_s, 15.0), host_key=ssh_host_key)
        except HostError as e:
            # Keep the reason in the results file too, then fail with one line.
            from reportgen.results import Fact

            if not store.existed:  # an existing file keeps what it holds; a new one says why it is empty
                store.results.environment.host = label
                store.results.environment.facts["host"] = Fact.missing("unreachable", note="unreachable", note_args={"error": str(e)})
                inv.finished_at = utc_now()
                store.save()
            raise
        note = getattr(h, "new_host_key", None)
        if note:
            click.echo(note, err=True)
        try:  # after the host answered: find its server, or say why not (nothing is written on failure)
            plan, stages = _complete_plan(host, plan, stages, only, data_dir, server_ports, limit=limit, tokenizer=tokenizer,
                                          plan_path=plan_path, api_key=api_key)
        except BaseException:
            h.close()
            raise
        ctx = CollectContext(host=h, host_label=label, store=store, container=container, timeout_s=timeout_s,
                             plan=plan, plan_path=plan_path, stages=stages, resume=resume, api_key=api_key)
        if plan is not None and plan.title:
            store.results.title = plan.title
        if plan is not None and plan.frontier != type(plan.frontier)():  # the document reads the frontier as the plan says
            store.results.frontier = plan.frontier.model_copy()
        if plan is not None:
            for name, value in plan.subject.model_dump(exclude_none=True).items():
                setattr(store.results.subject, name, value)
        ok = False
        try:
            for name in stages:
                STAGES[name](ctx)
            ok = True
        finally:
            _record_deployment(ctx)
            h.close()
            if ok or store.saves:  # a run that failed before saving anything leaves the file byte-identical
                inv.finished_at = utc_now()
                store.results.finished_at = inv.finished_at
                store.save()
    click.echo(str(path))


def _record_deployment(ctx: CollectContext) -> None:
    """Section 2 from what this run did (software found, servers launched or attached)."""
    from collectors.deployment import container_image, record_deployment

    image = container_image(ctx.host, ctx.container) if ctx.container else None
    record_deployment(ctx.store.results, container=ctx.container, image=image)


def _complete_plan(host: str | None, plan: Plan | None, stages: list[str], only: str | None, data_dir: Path | None,
                   server_ports: tuple[int, ...], *, limit: int | None = None, tokenizer: str | None = None,
                   plan_path: str | None = None, api_key: ApiKey | None = None) -> tuple[Plan | None, list[str]]:
    def echo(s: str) -> None:
        click.echo(s, err=True)

    default = api_key.value if api_key is not None else None
    if default is None and plan is not None and plan.server.api_key_env:
        default = api_key_from_env(plan.server.api_key_env, what="[server] api_key_env").value
    plan, stages, skipped = with_discovery(host, plan, stages, explicit=only is not None, data=data_dir,
                                           ports=server_ports, echo=echo, api_key=default)
    if skipped:
        echo("collect: skipped " + "; ".join(skipped))
    if plan is not None and tokenizer is not None:  # for the variants that name none
        plan = plan.model_copy(update={"variants": [
            v if v.tokenizer else v.model_copy(update={"tokenizer": str(Path(tokenizer).resolve())}) for v in plan.variants]})
    if plan is not None and limit is not None:
        plan = plan.model_copy(update={"accuracy": plan.accuracy.model_copy(update={"limit": limit})})
    if plan is not None and "accuracy" in stages and plan.accuracy.enabled and plan.accuracy.limit is None:
        echo(accuracy_size_line(plan, plan_path))
    for name in stages:
        if name != "hardware" and plan is None:
            raise ReportgenError(f"the {name} stage needs a plan: --plan plan.toml (write one with 'reportgen init')")
    return plan, stages
