"""One place that turns ``MqttConfig`` into a configured paho client.

Used by the publisher and by the buzzer. Everything that can be wrong with the
settings (missing password variable, unreadable certificate) raises
:class:`MqttSetupError` here, at start-up, never later in the frame loop.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from frontdesk.config import MqttConfig
from frontdesk.errors import FrontdeskError
from frontdesk.mqtt.url import BrokerUrl, parse_mqtt_url

__all__ = ["MqttSetupError", "make_client", "connect_kwargs", "reason_text",
           "drop_unacknowledged", "describe_connect_error", "speaks_tls"]

log = logging.getLogger(__name__)


class MqttSetupError(FrontdeskError):
    """The MQTT settings cannot work (the message never holds a password)."""


class _QuietPahoFilter(logging.Filter):
    """paho 2.2 logs connection trouble at ERROR ("Client is not connected" on every
    reconnect attempt, "failed to receive on socket" when the broker goes away).
    frontdesk reports the connection state itself, once, so these are demoted to
    DEBUG. paho's other errors (an exception in a callback) stay errors."""

    _CONNECTION_NOISE = ("Client is not connected", "failed to receive on socket",
                         "timeout on socket")

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(self._CONNECTION_NOISE):
            if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_PAHO_LOG = logging.getLogger("frontdesk.mqtt.paho")
_PAHO_LOG.addFilter(_QuietPahoFilter())


def _readable(path: str | None, what: str) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise MqttSetupError(f"mqtt.{what}: {path} is not a file")
    if not os.access(p, os.R_OK):
        raise MqttSetupError(f"mqtt.{what}: {path} is not readable by this user")
    return str(p)


def _password(config: MqttConfig) -> str | None:
    if config.password_env is None:
        return None
    value = os.environ.get(config.password_env)
    if not value:
        raise MqttSetupError(
            f"mqtt.password_env names the environment variable {config.password_env}, "
            "but it is not set (or empty)"
        )
    return value


def make_client(
    config: MqttConfig,
    client_id: str,
    *,
    will: tuple[str, bytes] | None = None,
    max_inflight: int = 20,
) -> tuple[mqtt.Client, BrokerUrl]:
    """A paho 2.x client set up from ``config`` (not yet connected).

    Args:
        config: the ``mqtt`` section; ``config.url`` must be set.
        client_id: stable id; a broker drops an older connection with the same id.
        will: (topic, payload) published retained, QoS 1, by the broker if the
            connection dies without a clean DISCONNECT.
        max_inflight: paho's window of unacknowledged QoS 1 messages.

    Raises:
        MqttSetupError: the settings cannot work.
    """
    if not config.url:
        raise MqttSetupError("mqtt.url is not set")
    try:
        broker = parse_mqtt_url(config.url)
    except ValueError as exc:
        raise MqttSetupError(str(exc)) from None
    password = _password(config)
    protocol = mqtt.MQTTv5 if config.protocol == "5" else mqtt.MQTTv311
    kwargs: dict[str, object] = {}
    if protocol == mqtt.MQTTv311:
        kwargs["clean_session"] = True
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        reconnect_on_failure=True,
        **kwargs,  # type: ignore[arg-type]
    )
    client.enable_logger(_PAHO_LOG)
    # A bug in one of our callbacks must not kill paho's network thread.
    client.suppress_exceptions = True
    if config.username is not None or password is not None:
        client.username_pw_set(config.username or "", password)
    if broker.tls:
        ca = _readable(config.ca_file, "ca_file")
        cert = _readable(config.cert_file, "cert_file")
        key = _readable(config.key_file, "key_file")
        try:
            client.tls_set(
                ca_certs=ca, certfile=cert, keyfile=key,
                cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise MqttSetupError(f"mqtt TLS settings: {exc}") from None
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.reconnect_delay_set(config.reconnect_min_s, config.reconnect_max_s)
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    return client, broker


def connect_kwargs(config: MqttConfig, broker: BrokerUrl) -> dict[str, object]:
    """Arguments for ``client.connect_async``: a clean session every time.

    frontdesk's own outbox resends what the broker has not acknowledged, and a
    command queued by the broker while frontdesk was away would be stale (a
    button press from minutes ago must not acknowledge today's customer).
    """
    kwargs: dict[str, object] = {
        "host": broker.host, "port": broker.port, "keepalive": config.keepalive_s,
    }
    if config.protocol == "5":
        kwargs["clean_start"] = True
    return kwargs


def reason_text(reason_code: object) -> str:
    """A short readable form of a paho reason code or error number."""
    name = getattr(reason_code, "getName", None)
    if callable(name):
        return str(name())
    if isinstance(reason_code, int):
        return mqtt.error_string(reason_code)
    return str(reason_code)


def drop_unacknowledged(client: mqtt.Client) -> None:
    """Forget paho's copies of QoS 1 messages not yet acknowledged (frontdesk's
    outbox resends them itself, in order). ``drop_out_messages`` is paho 2.2's
    public call; on 2.1 the same is done on its internal table."""
    drop = getattr(client, "drop_out_messages", None)
    if callable(drop):
        drop()
        return
    with client._out_message_mutex:  # paho 2.1
        client._out_messages.clear()


# X509 verification codes (OpenSSL x509_vfy.h) an installer can act on.
_NOT_TRUSTED = {18, 19, 20, 21, 2, 27}
_EXPIRED, _NOT_YET_VALID = 10, 9
_NAME_MISMATCH = {62, 64}


def describe_connect_error(exc: BaseException | None, broker: BrokerUrl,
                           ca_file: str | None = None) -> str:
    """What failed when connecting to ``broker``, in words that point at the fix.

    A certificate problem is named as one (not "cannot reach it", which sends an
    installer to the firewall).
    """
    where = f"{broker.host}:{broker.port}"
    cas = f"the CA in ca_file {ca_file}" if ca_file else "this machine's CAs (ca_file not set)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        code, detail = exc.verify_code, exc.verify_message or str(exc)
        if code in _NAME_MISMATCH:
            return (f"the broker's TLS certificate is not for {broker.host!r} ({detail}): use the "
                    f"host name the certificate lists in mqtt.url, or reissue the certificate")
        if code in _NOT_TRUSTED:
            return (f"the broker's TLS certificate is not signed by {cas} ({detail}): set "
                    f"mqtt.ca_file to the CA that signed the broker's certificate")
        if code == _EXPIRED:
            return f"the broker's TLS certificate has expired ({detail}): renew it"
        if code == _NOT_YET_VALID:
            return (f"the broker's TLS certificate is not valid yet ({detail}): check this "
                    f"machine's clock")
        return f"the broker's TLS certificate was refused: {detail}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if "CERTIFICATE_REQUIRED" in str(reason).upper():
            return ("the broker wants a client certificate: set mqtt.cert_file and "
                    "mqtt.key_file")
        return (f"the TLS handshake with {where} failed ({reason}): if that port is not a TLS "
                f"listener, use mqtt:// (mqtts:// is for TLS ports)")
    if broker.tls and isinstance(exc, ConnectionResetError):
        return (f"{where} closed the connection during the TLS handshake: if that port is "
                f"not a TLS listener, use mqtt://")
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach {where}: connection refused (is the broker running, on this port?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name {broker.host!r} ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError):
        return f"no answer from {where} (timed out): a firewall, or the wrong address?"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot reach {where} ({exc.strerror})"
    return f"cannot reach {where}" + (f" ({exc})" if exc is not None else "")


def speaks_tls(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """Whether ``host:port`` completes a TLS handshake (certificate not checked)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw, \
                context.wrap_socket(raw, server_hostname=host):
            return True
    except (OSError, ValueError):
        return False
