"""Importers: turn what other tools printed or saved into results-model objects.

Each module is a pure parser over text (no file or network access):

* ``vllm_log``   -- ``benchmark_serving.py`` / ``vllm bench serve`` printed result blocks
* ``vllm_json``  -- ``vllm bench serve --save-result`` JSON (rebuilds raw request records)
* ``swift_eval`` -- ``[INFO:swift] result: {...}`` lines and llmuses/evalscope report tables
* ``manual``     -- the TOML format for what was recorded by hand (environment, deployment,
  functional checks, launch commands, embedding/reranker runs)
* ``printed``    -- printed numpy arrays, Python lists and torch tensors -> numbers
* ``labels``     -- precision labels and model names from model paths
* ``merge``      -- add imported items to a ``Results`` document (replacing same-key items)
"""
