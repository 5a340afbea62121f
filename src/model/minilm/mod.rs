//! all-MiniLM-L6-v2: a real pretrained BERT encoder (6 layers x 12 heads), its WordPiece
//! tokenizer and its weight files.

pub mod weights;
pub mod wordpiece;
