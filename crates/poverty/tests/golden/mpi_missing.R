# Golden values for tests/laeken.rs::mpi_with_dropped_records_matches_survey_on_the_subset: the
# design subset to the records with both x1 and x2 (the "drop" rule); H with svymean, the
# intensity A (the poor's scores over the poor) with svyratio, and their standard errors.
# Rscript mpi_missing.R (in this folder)
suppressMessages(library(survey))
d <- read.csv("mpi_missing.csv", na.strings = c(""))
d$score <- with(d, 0.25 * (x1 == 1) + 0.25 * (x2 == 1) + 0.5 * (y == 1))
d$poor <- as.numeric(!is.na(d$score) & d$score >= 0.5 - 1e-9)
d$poor_score <- ifelse(is.na(d$score), 0, d$score) * d$poor
des <- svydesign(ids = ~psu, strata = ~strata, weights = ~w, data = d, nest = TRUE)
sub <- subset(des, !is.na(x1) & !is.na(x2))
h <- svymean(~poor, sub)
a <- svyratio(~poor_score, ~poor, sub)
cat(sprintf("h %.15f se %.15f\n", coef(h), SE(h)))
cat(sprintf("a %.15f se %.15f\n", coef(a), SE(a)))
