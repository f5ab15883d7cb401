# Reads the live service's SDMX structures and data with R's rsdmx, as an R user does.
#
# Usage: Rscript scripts/check-sdmx-rsdmx.R BASE_URL   (a running `rightstat serve`)
# Needs: rsdmx (Debian: apt-get install r-cran-rsdmx)
#
# rsdmx registers the service as a provider (SDMX 2.1 REST), lists its dataflows, reads the
# DSD with its codelists, and reads the data (SDMX-ML structure-specific, the service's default)
# both through the provider and from a URL; every observation of the SDMX-CSV must be there,
# withheld ones (OBS_STATUS Q) without a value. Stops with an error on any difference.
suppressPackageStartupMessages(library(rsdmx))

args <- commandArgs(trailingOnly = TRUE)
base <- paste0(sub("/$", "", args[1]), "/sdmx/2.1")
fail <- function(...) stop(paste0(...), call. = FALSE)

provider <- SDMXServiceProvider(
  agencyId = "RIGHTSTAT", name = "RightStat",
  builder = SDMXREST21RequestBuilder(regUrl = base, repoUrl = base, compliant = TRUE)
)
addSDMXServiceProvider(provider)

flows <- as.data.frame(readSDMX(providerId = "RIGHTSTAT", resource = "dataflow"))
if (!"DF_RIGHTSTAT" %in% flows$id) fail("dataflows: ", paste(flows$id, collapse = ", "))

dsd <- readSDMX(paste0(base, "/datastructure/RIGHTSTAT/DSD_RIGHTSTAT/latest?references=children"))
codelists <- sapply(slot(slot(dsd, "codelists"), "codelists"), function(cl) slot(cl, "id"))
for (cl in c("CL_INDICATOR", "CL_REF_AREA", "CL_OBS_STATUS")) {
  if (!cl %in% codelists) fail("codelist ", cl, " missing: ", paste(codelists, collapse = ", "))
}
dims <- sapply(slot(slot(slot(dsd, "datastructures"), "datastructures")[[1]], "Components")@Dimensions, function(d) slot(d, "conceptRef"))

data <- as.data.frame(readSDMX(providerId = "RIGHTSTAT", resource = "data", flowRef = "DF_RIGHTSTAT"))
csv <- read.csv(paste0(base, "/data/DF_RIGHTSTAT/all?format=csv"), colClasses = "character")
if (nrow(data) != nrow(csv)) fail("rsdmx read ", nrow(data), " observations, the SDMX-CSV has ", nrow(csv))
for (d in c(dims, "TIME_PERIOD", "OBS_STATUS")) {
  if (!d %in% names(data)) fail("column ", d, " missing from rsdmx's data: ", paste(names(data), collapse = ", "))
}
key <- function(df) do.call(paste, c(df[c(dims, "TIME_PERIOD")], sep = "|"))
value <- function(v) suppressWarnings(as.numeric(v))
a <- data.frame(k = key(data), v = value(data$OBS_VALUE), s = as.character(data$OBS_STATUS))
b <- data.frame(k = key(csv), v = value(csv$OBS_VALUE), s = csv$OBS_STATUS)
m <- merge(a, b, by = "k", suffixes = c(".ml", ".csv"))
if (nrow(m) != nrow(csv)) fail(nrow(csv) - nrow(m), " observations of the SDMX-CSV are not in rsdmx's data")
differ <- m[(is.na(m$v.ml) != is.na(m$v.csv)) | (!is.na(m$v.ml) & abs(m$v.ml - m$v.csv) > 1e-9 * pmax(1, abs(m$v.csv))) | m$s.ml != m$s.csv, ]
if (nrow(differ) > 0) fail(nrow(differ), " observations differ, e.g. ", differ$k[1])
withheld <- sum(is.na(m$v.ml) & m$s.ml == "Q")
if (withheld == 0) fail("no withheld cell in the data: the check needs one")

one <- as.data.frame(readSDMX(paste0(base, "/data/DF_RIGHTSTAT/SI_POV_NAHC.CN")))
if (nrow(one) == 0 || any(one$INDICATOR != "SI_POV_NAHC")) fail("a keyed query read ", nrow(one), " rows")

cat(sprintf("ok: rsdmx %s listed %d dataflow(s), read %d codelists and %d observations (%d withheld) identical to the SDMX-CSV\n",
            as.character(packageVersion("rsdmx")), nrow(flows), length(codelists), nrow(data), withheld))
