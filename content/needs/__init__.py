"""Customer-need mining: clusters of questions the engine could not answer, for editors."""
