"""The running daemon: a config assembled into a runtime (:mod:`.assemble`), ``ptzmapd run``
with its signals, reload and watchdog (:mod:`.service`), and what ``ptzmapd status`` sees of
it (:mod:`.status`)."""
