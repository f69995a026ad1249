"""Users, passwords and ACL of the TLS test broker (shared by conftest and the TLS tests)."""

MQTT_TEST_USERS = {
    "frontdesk": "fd-test-password-1",
    "buzzer": "bz-test-password-2",
    "observer": "ob-test-password-3",
}
"""Users of the ``mqtt_broker_tls`` fixture and their passwords."""

MQTT_TEST_ACL = """\
# frontdesk itself: publishes its contract, reads commands and HA's birth message.
user frontdesk
topic write frontdesk/+/availability
topic write frontdesk/+/+/availability
topic write frontdesk/+/+/state
topic write frontdesk/+/+/alert
topic write frontdesk/+/+/events
topic write frontdesk/+/events
topic read frontdesk/+/+/cmd/+
topic write homeassistant/device/+/config
topic read homeassistant/status
# cameras of one counter on two boxes: one box sends, the other's counter reads
topic readwrite frontdesk/+/fusion/+/+/observations

# a staff buzzer or wearable: reads alerts (and states, for each counter's camera),
# may acknowledge and snooze, not disable.
user buzzer
topic read frontdesk/+/availability
topic read frontdesk/+/+/availability
topic read frontdesk/+/+/alert
topic read frontdesk/+/+/state
topic write frontdesk/+/+/cmd/ack
topic write frontdesk/+/+/cmd/snooze
topic write cmnd/+/POWER
topic write wled/#

# tests' observer: sees and may send everything.
user observer
topic readwrite #
"""
