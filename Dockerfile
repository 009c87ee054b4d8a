# Corridor Atlas as a hosted dashboard. Build: docker build -t corridor-atlas .
# Run: docker run -p 8501:8501 -e CORRIDOR_ATLAS_STORE=s3://bucket/prefix -e AWS_... corridor-atlas
# (README, "Running the shared dashboard"). Every Python dependency installs from wheels (GDAL comes with
# pyogrio's, libosmium with osmium's), so the slim image needs no compiler.
FROM python:3.11-slim-bookworm

# FORWARDED_ALLOW_IPS empty: Streamlit's web server (uvicorn) would itself believe X-Forwarded-For from
# 127.0.0.1; the visitor's address is left to CORRIDOR_ATLAS_TRUSTED_PROXIES alone.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CORRIDOR_ATLAS_MODE=hosted \
    FORWARDED_ALLOW_IPS=""

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py ./
COPY .streamlit .streamlit
COPY geo geo
COPY datasets datasets
COPY static static
# The map's vector tiles derive from datasets/ (not committed); a hosted app serves them and never builds them.
RUN rm -rf static/tiles && python -m geo build-tiles

# Run as a plain user; the default store (a folder) is theirs, an s3:// store needs no disk.
RUN useradd --create-home atlas && mkdir -p /app/store && chown atlas /app/store
USER atlas

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true", \
     "--client.showErrorDetails=none", "--browser.gatherUsageStats=false"]
