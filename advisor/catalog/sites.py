"""Where public-cloud regions that the shipped catalog does not list are, for `import-skypilot`.

A SkyPilot price table names regions but not where they are, and a catalog region needs
coordinates and a jurisdiction (latency and data-residency rules depend on them). This table
gives the city or metro area each provider names for a region, at city precision; regions not
listed here are skipped by the importer with a warning rather than guessed.
"""

from __future__ import annotations

import datetime as dt

from advisor.catalog.models import Region

SITES_AS_OF = dt.date(2026, 11, 23)
REGION_PAGES = {
    "aws": "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html",
    "gcp": "https://cloud.google.com/compute/docs/regions-zones",
    "azure": "https://learn.microsoft.com/en-us/azure/reliability/regions-list",
}

# provider -> region -> (display name, lat, lon, jurisdiction, ISO country)
Site = tuple[str, float, float, str, str]
SITES: dict[str, dict[str, Site]] = {
    "aws": {
        "us-west-1": ("US West (N. California)", 37.34, -121.89, "us", "US"),
        "ca-west-1": ("Canada West (Calgary)", 51.05, -114.07, "ca", "CA"),
        "mx-central-1": ("Mexico (Central)", 20.59, -100.39, "mx", "MX"),
        "eu-west-3": ("Europe (Paris)", 48.86, 2.35, "eu", "FR"),
        "eu-south-1": ("Europe (Milan)", 45.46, 9.19, "eu", "IT"),
        "eu-south-2": ("Europe (Spain)", 41.65, -0.88, "eu", "ES"),
        "eu-central-2": ("Europe (Zurich)", 47.37, 8.54, "ch", "CH"),
        "il-central-1": ("Israel (Tel Aviv)", 32.09, 34.78, "il", "IL"),
        "me-south-1": ("Middle East (Bahrain)", 26.23, 50.59, "bh", "BH"),
        "af-south-1": ("Africa (Cape Town)", -33.92, 18.42, "za", "ZA"),
        "ap-east-1": ("Asia Pacific (Hong Kong)", 22.32, 114.17, "hk", "HK"),
        "ap-northeast-2": ("Asia Pacific (Seoul)", 37.57, 126.98, "kr", "KR"),
        "ap-northeast-3": ("Asia Pacific (Osaka)", 34.69, 135.50, "jp", "JP"),
        "ap-south-2": ("Asia Pacific (Hyderabad)", 17.39, 78.49, "in", "IN"),
        "ap-southeast-3": ("Asia Pacific (Jakarta)", -6.21, 106.85, "id", "ID"),
        "ap-southeast-4": ("Asia Pacific (Melbourne)", -37.81, 144.96, "au", "AU"),
        "ap-southeast-5": ("Asia Pacific (Malaysia)", 3.14, 101.69, "my", "MY"),
        "ap-southeast-7": ("Asia Pacific (Thailand)", 13.76, 100.50, "th", "TH"),
    },
    "gcp": {
        "us-east5": ("Columbus, Ohio, North America", 39.96, -83.00, "us", "US"),
        "us-south1": ("Dallas, Texas, North America", 32.78, -96.80, "us", "US"),
        "us-west2": ("Los Angeles, California, North America", 34.05, -118.24, "us", "US"),
        "us-west3": ("Salt Lake City, Utah, North America", 40.76, -111.89, "us", "US"),
        "northamerica-northeast1": ("Montréal, Québec, North America", 45.50, -73.57, "ca", "CA"),
        "northamerica-northeast2": ("Toronto, Ontario, North America", 43.65, -79.38, "ca", "CA"),
        "southamerica-west1": ("Santiago, Chile, South America", -33.45, -70.67, "cl", "CL"),
        "europe-central2": ("Warsaw, Poland, Europe", 52.23, 21.01, "eu", "PL"),
        "europe-north1": ("Hamina, Finland, Europe", 60.57, 27.20, "eu", "FI"),
        "europe-southwest1": ("Madrid, Spain, Europe", 40.42, -3.70, "eu", "ES"),
        "europe-west6": ("Zurich, Switzerland, Europe", 47.37, 8.54, "ch", "CH"),
        "europe-west8": ("Milan, Italy, Europe", 45.46, 9.19, "eu", "IT"),
        "europe-west9": ("Paris, France, Europe", 48.86, 2.35, "eu", "FR"),
        "europe-west10": ("Berlin, Germany, Europe", 52.52, 13.40, "eu", "DE"),
        "europe-west12": ("Turin, Italy, Europe", 45.07, 7.69, "eu", "IT"),
        "me-west1": ("Tel Aviv, Israel, Middle East", 32.09, 34.78, "il", "IL"),
        "africa-south1": ("Johannesburg, South Africa, Africa", -26.20, 28.05, "za", "ZA"),
        "asia-east1": ("Changhua County, Taiwan, APAC", 24.08, 120.54, "tw", "TW"),
        "asia-east2": ("Hong Kong, APAC", 22.32, 114.17, "hk", "HK"),
        "asia-northeast2": ("Osaka, Japan, APAC", 34.69, 135.50, "jp", "JP"),
        "asia-northeast3": ("Seoul, South Korea, APAC", 37.57, 126.98, "kr", "KR"),
        "asia-south2": ("Delhi, India, APAC", 28.61, 77.21, "in", "IN"),
        "asia-southeast2": ("Jakarta, Indonesia, APAC", -6.21, 106.85, "id", "ID"),
        "australia-southeast2": ("Melbourne, Australia, APAC", -37.81, 144.96, "au", "AU"),
    },
    "azure": {
        "westus": ("West US (California)", 37.77, -122.42, "us", "US"),
        "westus2": ("West US 2 (Washington)", 47.23, -119.85, "us", "US"),
        "centralus": ("Central US (Iowa)", 41.59, -93.62, "us", "US"),
        "northcentralus": ("North Central US (Illinois)", 41.88, -87.63, "us", "US"),
        "westcentralus": ("West Central US (Wyoming)", 41.14, -104.82, "us", "US"),
        "canadaeast": ("Canada East (Quebec)", 46.81, -71.21, "ca", "CA"),
        "ukwest": ("UK West (Cardiff)", 51.48, -3.18, "uk", "GB"),
        "germanywestcentral": ("Germany West Central (Frankfurt)", 50.11, 8.68, "eu", "DE"),
        "italynorth": ("Italy North (Milan)", 45.46, 9.19, "eu", "IT"),
        "polandcentral": ("Poland Central (Warsaw)", 52.23, 21.01, "eu", "PL"),
        "norwayeast": ("Norway East (Oslo)", 59.91, 10.75, "no", "NO"),
        "switzerlandnorth": ("Switzerland North (Zurich)", 47.37, 8.54, "ch", "CH"),
        "uaenorth": ("UAE North (Dubai)", 25.20, 55.27, "ae", "AE"),
        "qatarcentral": ("Qatar Central (Doha)", 25.29, 51.53, "qa", "QA"),
        "southafricanorth": ("South Africa North (Johannesburg)", -26.20, 28.05, "za", "ZA"),
        "eastasia": ("East Asia (Hong Kong)", 22.32, 114.17, "hk", "HK"),
        "koreacentral": ("Korea Central (Seoul)", 37.57, 126.98, "kr", "KR"),
        "japanwest": ("Japan West (Osaka)", 34.69, 135.50, "jp", "JP"),
        "southindia": ("South India (Chennai)", 13.08, 80.27, "in", "IN"),
        "westindia": ("West India (Mumbai)", 19.08, 72.88, "in", "IN"),
        "australiasoutheast": ("Australia Southeast (Victoria)", -37.81, 144.96, "au", "AU"),
    },
}


def site_region(provider: str, name: str) -> Region | None:
    """A catalog region for a listed site (no carbon figure: none is known here), else None."""
    site = SITES.get(provider, {}).get(name)
    if site is None:
        return None
    display_name, lat, lon, jurisdiction, country = site
    return Region(
        provider=provider, name=name, display_name=display_name, lat=lat, lon=lon,
        jurisdiction=jurisdiction, country=country,
        source=f"{REGION_PAGES[provider]} (location the provider names); coordinates of that city",
        as_of=SITES_AS_OF, estimate=True,
        notes="Coordinates are the city or metro area the provider names, not the data centre; "
              "no grid carbon figure.",
    )
