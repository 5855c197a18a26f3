"""The kernel: core, routing, context, delivery, scheduling, types, ports, i18n, clock and
config. It knows no feature, no platform and no SQL."""
