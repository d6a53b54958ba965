"""Configuration: YAML with marks (:mod:`.yamlmarks`), validated by the schemas
(:mod:`.schema`, :mod:`.checks`, :mod:`.tables`) and the rules across entries (:mod:`.rules`)
into the typed values of :mod:`.model`, by :func:`.loader.load_config`; what ``check``
prints (:mod:`.summary`).

Importing this package imports none of its modules: the typed values (:mod:`.model`) sit low
in the layers, read by the inputs, transports, mapping and surfaces, and must not bring the
loader (which reads the action rows, the protocol registry and the input controls) along.
"""
