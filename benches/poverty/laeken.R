# R laeken / base R peer for benches/poverty/run.sh: FGT0-2 and Watts (base R), Gini and
# weighted median (laeken) by province x urbanisation. Prints seconds and national FGT0.
suppressMessages(library(laeken))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; z <- as.numeric(args[2])
t0 <- Sys.time()
d <- read.csv(path, colClasses = c(province = "character"))
d$w <- d$weight * d$size
d$g <- interaction(d$province, d$urbanisation, drop = TRUE)
y <- d$income_pc; w <- d$w; poor <- y < z
gap <- ifelse(poor, (z - y) / z, 0)
W <- tapply(w, d$g, sum)
fgt0 <- tapply(w * poor, d$g, sum) / W
fgt1 <- tapply(w * gap, d$g, sum) / W
fgt2 <- tapply(w * gap^2, d$g, sum) / W
watts <- tapply(ifelse(poor & y > 0, w * log(z / pmax(y, 1e-300)), 0), d$g, sum) / W
g <- gini(y, w, breakdown = d$g)
m <- sapply(split(seq_along(y), d$g), function(i) weightedMedian(y[i], w[i]))
national <- sum(w * poor) / sum(w)
cat(sprintf("%.3f %.12f\n", as.numeric(difftime(Sys.time(), t0, units = "secs")), national))
