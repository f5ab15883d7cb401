# R peer for benches/poverty/run.sh, as R users run it: data.table::fread to read the CSV,
# data.table grouping for FGT0-2 and Watts, laeken for the Gini and the weighted medians
# (the reference implementation of the Eurostat definitions) by province x urbanisation
# (or the columns in BY, e.g. BY=village).
# LINE is a number or relative:FRACTION:median (a fraction of the national weighted median,
# laeken::weightedMedian). Prints seconds and the national FGT0.
suppressMessages({ library(laeken); library(data.table) })
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; line <- args[2]
setDTthreads(0)
t0 <- Sys.time()
by <- strsplit(Sys.getenv("BY", "province,urbanisation"), ",")[[1]]
d <- fread(path, select = c(by, "income_pc", "weight", "size"),
           colClasses = list(character = by), showProgress = FALSE)
d[, w := weight * size]
z <- if (startsWith(line, "relative:")) {
  as.numeric(strsplit(line, ":")[[1]][2]) * weightedMedian(d$income_pc, d$w)
} else as.numeric(line)
res <- d[, {
  poor <- income_pc < z; gap <- ifelse(poor, (z - income_pc) / z, 0); W <- sum(w)
  list(fgt0 = sum(w * poor) / W, fgt1 = sum(w * gap) / W, fgt2 = sum(w * gap^2) / W,
       watts = sum(ifelse(poor & income_pc > 0, w * log(z / pmax(income_pc, 1e-300)), 0)) / W,
       median = weightedMedian(income_pc, w))
}, keyby = by]
g <- gini(d$income_pc, d$w, breakdown = interaction(d[, ..by], drop = TRUE))
national <- d[, sum(w * (income_pc < z)) / sum(w)]
cat(sprintf("%.3f %.12f\n", as.numeric(difftime(Sys.time(), t0, units = "secs")), national))
