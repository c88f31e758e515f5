"""Embedding and reranker checks (the seed's sections 5 and 6).

* ``data``    the seed's inputs and its recorded outputs (defaults in one place)
* ``http``    OpenAI ``/v1/embeddings``; ``/v1/rerank``, ``/rerank`` and ``/score`` over httpx
* ``local``   transformers + torch on a chosen device (optional extra ``local-models``)
* ``checks``  the seed's scripts, reference checks and throughput, over any backend
* ``script``  the equivalent standalone script shown in the document
* ``stage``   ``run_embedding_stage``: one run into the results model
"""
