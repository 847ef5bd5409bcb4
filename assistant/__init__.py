"""policyqa — cited question answering over Chinese health work plans.

The pipeline, one module per stage, data flowing one way:

    corpus (Document) → chunking (Chunk) → index (PolicyIndex) → retrieval (Hit)
    → answer (Answer, Citation) → interfaces (cli, evaluation)

Start with :class:`assistant.pipeline.PolicyQA`.
"""

__version__ = "0.1.0"
