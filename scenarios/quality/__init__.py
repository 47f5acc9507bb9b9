"""Quality inspection (智能质检): every finished conversation scored against an editable rubric."""
