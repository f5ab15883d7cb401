# Produces the golden values the engine is checked against (tests/laeken.rs), from R laeken
# and survey on laeken's synthetic EU-SILC data set `eusilc`. CI does not need R: the outputs
# are committed. Re-run with:  Rscript make_golden.R   (Debian: r-cran-laeken r-cran-survey)
suppressMessages({ library(laeken); library(survey) })
data(eusilc)
d <- data.frame(eqIncome = eusilc$eqIncome, rb050 = eusilc$rb050, db040 = as.character(eusilc$db040),
                rb090 = as.character(eusilc$rb090), db030 = eusilc$db030)
fmt <- function(x) trimws(formatC(x, digits = 17, format = "g"))
# Full precision, so that the engine reads exactly the doubles R computed with.
dd <- d; dd$eqIncome <- fmt(d$eqIncome); dd$rb050 <- fmt(d$rb050)
write.csv(dd, "eusilc.csv", row.names = FALSE)
out <- data.frame(measure = character(), group = character(), value = character())
add <- function(m, g, v) out[nrow(out) + 1, ] <<- list(m, g, fmt(v))
w <- d$rb050; x <- d$eqIncome
a <- arpr(x, w, breakdown = d$db040)
add("arpt", "_T", a$threshold); add("arpr", "_T", a$value)
for (i in seq_len(nrow(a$valueByStratum))) add("arpr", as.character(a$valueByStratum$stratum[i]), a$valueByStratum$value[i])
g <- gini(x, w, breakdown = d$db040)
add("gini", "_T", g$value / 100)
for (i in seq_len(nrow(g$valueByStratum))) add("gini", as.character(g$valueByStratum$stratum[i]), g$valueByStratum$value[i] / 100)
q <- qsr(x, w, breakdown = d$db040)
add("s80s20", "_T", q$value)
for (i in seq_len(nrow(q$valueByStratum))) add("s80s20", as.character(q$valueByStratum$stratum[i]), q$valueByStratum$value[i])
r <- rmpg(x, w, breakdown = d$db040)
add("rmpg", "_T", r$value)
for (i in seq_len(nrow(r$valueByStratum))) add("rmpg", as.character(r$valueByStratum$stratum[i]), r$valueByStratum$value[i])
add("median", "_T", weightedMedian(x, w))
for (s in sort(unique(d$db040))) add("median", s, weightedMedian(x[d$db040 == s], w[d$db040 == s]))
# FGT with an absolute line and its linearised standard error (strata: region; PSU: household).
z <- 10000
des <- svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = d)
for (alpha in 0:2) {
  d$u <- ifelse(d$eqIncome < z, ((z - d$eqIncome) / z)^alpha, 0)
  des <- update(des, u = d$u)
  m <- svymean(~u, des)
  add(paste0("fgt", alpha), "_T", coef(m)); add(paste0("se_fgt", alpha), "_T", SE(m))
  b <- svyby(~u, ~rb090, des, svymean)
  for (i in seq_len(nrow(b))) { add(paste0("fgt", alpha), b$rb090[i], b$u[i]); add(paste0("se_fgt", alpha), b$rb090[i], b$se[i]) }
}
write.csv(out, "laeken_golden.csv", row.names = FALSE)
