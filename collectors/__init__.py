"""Collectors: the stages that measure a machine and write into the results model.

Each subpackage (hardware, serving, accuracy, embedding) produces raw records only;
metrics, validity and formatting live in ``reportgen``.
"""
