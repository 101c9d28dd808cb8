"""Transports: how work moves between the pipeline's steps (:mod:`linli.transport.base`).

Nothing is imported here, so that reading the queue names (:mod:`linli.transport.queues`)
does not import Dramatiq.
"""
