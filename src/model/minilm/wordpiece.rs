//! The BERT uncased WordPiece tokenizer.
