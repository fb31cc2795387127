"""``accord webhooks …``: subscriptions, their deliveries, redelivery, delivering now."""

from __future__ import annotations

from typing import Any

import click

from ._context import CliState, actor, pass_state, table

_STATUSES = click.Choice(["pending", "failed", "delivered", "dead"])


@click.group()
def webhooks() -> None:
    """Webhook subscriptions: other systems told of record events and plugins' events.

    'accord worker' delivers them: signed POSTs (Accord-Signature), retried with
    backoff, then dead-lettered; 'accord webhooks redeliver ID' sends one again.
    """


def _show(info: Any) -> None:
    state = "active" if info.active else "inactive"
    click.echo(f"webhook {info.id} ({state}): {info.url}")
    click.echo(f"  events: {', '.join(info.events)}")
    if info.description:
        click.echo(f"  description: {info.description}")


@webhooks.command("add")
@click.argument("url")
@click.option("--event", "-e", "events", multiple=True, required=True,
              help="A topic (contact.created), a prefix (contact.*) or *; repeatable.")
@click.option("--secret", help="The signing secret (default: a generated one, shown once).")
@click.option("--description", default="", help="What the subscription is for.")
@click.option("--inactive", is_flag=True, help="Store it switched off.")
@pass_state
def add(state: CliState, url: str, events: tuple[str, ...], secret: str | None,
        description: str, inactive: bool) -> None:
    """Subscribe URL to events; prints the secret receivers verify signatures with."""
    from ..services.webhooks import add_subscription

    data: dict[str, Any] = {"url": url, "events": list(events), "description": description,
                            "active": not inactive}
    if secret is not None:
        data["secret"] = secret
    info = add_subscription(state.kernel(), data, actor=actor())
    _show(info)
    click.echo(f"  secret: {info.secret}  (shown this once; keep it with the receiver)")


@webhooks.command("list")
@pass_state
def list_(state: CliState) -> None:
    """List the subscriptions."""
    from ..services.webhooks import list_subscriptions

    found = list_subscriptions(state.kernel(), actor=actor())
    if not found:
        click.echo("no webhook subscriptions (add one with 'accord webhooks add URL -e EVENT')")
        return
    table(["ID", "ACTIVE", "URL", "EVENTS", "DESCRIPTION"],
          [[s.id, "yes" if s.active else "no", s.url, ",".join(s.events), s.description]
           for s in found])


@webhooks.command("update")
@click.argument("subscription_id", type=int)
@click.option("--url", help="A new URL.")
@click.option("--event", "-e", "events", multiple=True,
              help="Replaces all events; repeatable.")
@click.option("--secret", help="A new signing secret.")
@click.option("--description", help="A new description.")
@click.option("--active/--inactive", default=None, help="Switch it on or off.")
@pass_state
def update(state: CliState, subscription_id: int, url: str | None, events: tuple[str, ...],
           secret: str | None, description: str | None, active: bool | None) -> None:
    """Change subscription SUBSCRIPTION_ID: only what is given."""
    from ..services.webhooks import update_subscription

    changes: dict[str, Any] = {k: v for k, v in (
        ("url", url), ("secret", secret), ("description", description),
        ("active", active)) if v is not None}
    if events:
        changes["events"] = list(events)
    if not changes:
        raise click.UsageError("nothing to change: give --url, --event, --secret, "
                               "--description, --active or --inactive")
    _show(update_subscription(state.kernel(), subscription_id, changes, actor=actor()))


@webhooks.command("remove")
@click.argument("subscription_id", type=int)
@pass_state
def remove(state: CliState, subscription_id: int) -> None:
    """Delete subscription SUBSCRIPTION_ID and its deliveries (--inactive keeps them)."""
    from ..services.webhooks import remove_subscription

    remove_subscription(state.kernel(), subscription_id, actor=actor())
    click.echo(f"webhook {subscription_id} removed")


@webhooks.command("deliveries")
@click.option("--subscription", type=int, help="Only this subscription's.")
@click.option("--status", type=_STATUSES, help="Only deliveries in this state.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
              help="How many, newest first.")
@pass_state
def deliveries(state: CliState, subscription: int | None, status: str | None,
               limit: int) -> None:
    """List deliveries, newest first, with their state and last error."""
    from ..services.webhooks import list_deliveries

    page = list_deliveries(state.kernel(), actor=actor(), subscription=subscription,
                           status=status, limit=limit)
    if not page.items:
        click.echo("no deliveries")
        return
    table(["ID", "WEBHOOK", "EVENT", "TOPIC", "STATUS", "TRIES", "CODE", "ERROR"],
          [[d.id, d.subscription_id, d.event_id, d.topic, d.status, d.attempts,
            d.last_status_code, (d.last_error or "")[:60]] for d in page.items])


@webhooks.command("redeliver")
@click.argument("delivery_id", type=int)
@pass_state
def redeliver(state: CliState, delivery_id: int) -> None:
    """Send delivery DELIVERY_ID again (a dead one, say) on the worker's next pass."""
    from ..services.webhooks import redeliver as again

    info = again(state.kernel(), delivery_id, actor=actor())
    click.echo(f"delivery {info.id} ({info.topic}, event {info.event_id}) queued again")


@webhooks.command("test")
@click.argument("subscription_id", type=int)
@pass_state
def test(state: CliState, subscription_id: int) -> None:
    """Queue a webhook.test event for SUBSCRIPTION_ID alone (the worker posts it)."""
    from ..services.webhooks import send_test

    info = send_test(state.kernel(), subscription_id, actor=actor())
    click.echo(f"test event {info.event_id} queued as delivery {info.id}; "
               f"'accord webhooks deliveries --subscription {subscription_id}' shows it")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--poll", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds between passes when idle.")
@pass_state
def deliver(state: CliState, once: bool, poll: float) -> None:
    """Deliver due messages now ('accord worker' does it too, alongside the jobs)."""
    import threading

    from ..services.webhooks_delivery import deliver_due, run_deliveries

    kernel = state.kernel()
    if once:
        total = {"delivered": 0, "failed": 0, "dead": 0}
        while True:  # until a pass finds nothing due (a record's next event waits a pass)
            counts = deliver_due(kernel)
            if not any(counts.values()):
                break
            total = {k: total[k] + counts[k] for k in total}
        click.echo(", ".join(f"{n} {k}" for k, n in total.items()))
        return
    click.echo("delivering webhooks; Ctrl-C stops")
    try:
        run_deliveries(kernel, threading.Event(), poll=poll)
    except KeyboardInterrupt:
        pass
