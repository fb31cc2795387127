"""What every command shares: the lazily started kernel, errors without tracebacks,
and plain-text tables."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import click

if TYPE_CHECKING:
    from ..kernel import Accord


@dataclass
class CliState:
    config_path: str | None = None
    _kernel: Any = None
    #: ``accord --verbose``: the kernel logs at DEBUG, whatever log_level says.
    verbose: bool = False

    def config(self) -> Any:
        from ..config import load_config

        return load_config(self.config_path)

    def kernel(self, *, upgrade: bool = False) -> Accord:
        """The kernel, started on first use and closed when the command ends."""
        if self._kernel is None:
            from ..kernel import Accord

            config = self.config()
            if self.verbose:
                import dataclasses

                config = dataclasses.replace(config, log_level="DEBUG")
            kernel = Accord(config)
            kernel.start(upgrade=upgrade)
            self._kernel = kernel
            click.get_current_context().call_on_close(kernel.close)
        else:
            # A command run against a kernel that lives on (tests, a shell): pick up
            # what other processes changed, as a request does.
            self._kernel.sync()
        return self._kernel  # type: ignore[no-any-return]


pass_state = click.make_pass_decorator(CliState, ensure=True)


def actor() -> Any:
    from ..services import Actor

    return Actor.system("cli")


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """A user's mistake is a message and exit 1, never a traceback."""
    import peewee

    from ..errors import AccordError, ValidationError

    try:
        yield
    except ValidationError as exc:
        lines = [f"  {field}: {' '.join(msgs)}" for field, msgs in exc.flat().items()]
        raise click.ClickException("invalid input:\n" + "\n".join(lines)) from None
    except AccordError as exc:
        raise click.ClickException(str(exc)) from None
    except peewee.OperationalError as exc:
        raise click.ClickException(f"database error: {exc}") from None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * w for w in widths))
